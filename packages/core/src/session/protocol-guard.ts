import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { ProtocolId } from '../spec/v1/credential.js';
import type { MailplugError } from '../spec/v1/mailplug-error.js';

export interface ProtocolGuardOptions {
  readonly accountId: string;
  /** The protocols this account's credential can serve (already narrowed by its settings). */
  readonly served: readonly ProtocolId[];
  /**
   * The fix when the provider could serve the protocol but this account is not set up for it
   * (e.g. "Turn off Send only"). Default: use a served protocol or another sign-in method.
   */
  readonly hint?: string;
}

/**
 * The one error for "this credential cannot serve protocol X": code `PROTOCOL_MISMATCH`, action
 * `admin` (the account's configuration pairs a protocol with a sign-in that does not cover it),
 * whichever provider raises it.
 *
 * @example
 * throw protocolNotServed('pop3', { accountId, served: ['smtp'] });
 */
export function protocolNotServed(protocol: ProtocolId, options: ProtocolGuardOptions): MailplugError {
  const served = options.served.length > 0 ? options.served.join(', ') : 'no protocol';
  return mailplugError(
    CoreErrorCode.ProtocolMismatch,
    'admin',
    `Account "${options.accountId}" cannot authorize ${protocol}; its sign-in serves ${served}.`,
    options.hint ?? `Use ${served} with this account, or choose a sign-in method that supports ${protocol}.`,
    { details: { accountId: options.accountId, protocol, served: [...options.served] } },
  );
}

/**
 * Throws {@link protocolNotServed} unless `protocol` is one of `options.served`. Call it first in
 * `getCredential`, before any token is read or requested.
 *
 * @example
 * async getCredential(request) {
 *   assertProtocolServed(request.protocol, { accountId, served: settings.protocols });
 *   return tokens.getCredential(request);
 * }
 */
export function assertProtocolServed(protocol: ProtocolId, options: ProtocolGuardOptions): void {
  if (!options.served.includes(protocol)) throw protocolNotServed(protocol, options);
}
