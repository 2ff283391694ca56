import { readFileSync } from 'node:fs';
import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { ServerSettings } from '../spec/v1/protocol.js';
import { DEFAULT_TIMEOUT_SECONDS, type MailAccount } from './account.js';

export interface ServerSettingsOptions {
  /** PEM CA certificate(s); when absent and the account names a `caFile`, that file is read. */
  readonly ca?: string | readonly string[];
}

/**
 * The protocol-facing server settings of an account (timeout in milliseconds, CA loaded).
 *
 * @example
 * const conn = await smtp.connect(serverSettingsFor(account), session);
 */
export function serverSettingsFor(account: MailAccount, options: ServerSettingsOptions = {}): ServerSettings {
  const { server } = account;
  let ca = options.ca;
  if (ca === undefined && server.caFile) {
    try {
      ca = readFileSync(server.caFile, 'utf8');
    } catch (cause) {
      throw mailplugError(
        CoreErrorCode.ConfigInvalid,
        'admin',
        `The CA file "${server.caFile}" of account "${account.id}" cannot be read.`,
        'Point server.caFile at a readable PEM file, or remove it to use the system certificates.',
        { cause, details: { issues: [{ path: 'server.caFile' }] } },
      );
    }
  }
  return {
    host: server.host,
    port: server.port,
    security: server.security,
    timeoutMs: Math.round((server.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000),
    ...(ca !== undefined ? { tls: { ca } } : {}),
    ...(account.allowInsecureAuth ? { allowInsecureAuth: true } : {}),
  };
}
