import {
  type ActivationContext,
  type ConnectOptions,
  type CredentialSource,
  emitDeprecationOnce,
  type ReceiveProtocol,
  readAdapterManifest,
  registerSecret,
  type ServerSettings,
} from '@mailplug/core';
import packageJson from '../package.json';
import type { ImapConnection } from './connection.js';
import { probeImap } from './probe.js';
import { type OAuthMechanism, openImapSession } from './session.js';

// package.json's `mailplug` manifest is the single source of id, label, ports and the deprecation.
const contribution = readAdapterManifest(packageJson).protocol('imap');

export const IMAP_DEPRECATION = contribution.deprecated ?? {
  since: '0.1.0',
  message: 'IMAP receive is deprecated in Mailplug; new integrations should use the provider APIs.',
};

export const IMAP_DEPRECATION_CODE = 'MAILPLUG_IMAP_DEPRECATED';

export interface ImapProtocolOptions {
  /** Mailbox (folder) to select (default `INBOX`). */
  readonly mailbox?: string;
  /** `delete()` moves here instead of expunging (e.g. `Trash`, `[Gmail]/Trash`). */
  readonly trashMailbox?: string;
  /** SASL mechanism for OAuth tokens (default `auto`: OAUTHBEARER when offered, else XOAUTH2). */
  readonly oauthMechanism?: OAuthMechanism;
  /** Do not emit the once-per-process DeprecationWarning (or set MAILPLUG_SILENCE_DEPRECATION=1). */
  readonly silenceDeprecation?: boolean;
  /**
   * The largest message `fetch()` returns (default 25 MiB, `DEFAULT_MAX_MESSAGE_BYTES`). It also
   * bounds imapflow's line, literal and response limits (about 1 GB by default), so a hostile or
   * broken server cannot make the client buffer more than about this much.
   */
  readonly maxMessageBytes?: number;
  /**
   * Connect through a proxy (imapflow's `proxy`: `http://`, `https://` CONNECT or `socks5://`
   * URLs): one URL for every server, or a function that decides per server (per account).
   * No environment variable is read. Default: direct.
   */
  readonly proxy?: string | ((server: ServerSettings) => string | undefined);
}

/** The IMAP ReceiveProtocol with the IMAP-specific connection type. */
export interface ImapProtocol extends ReceiveProtocol {
  connect(
    server: ServerSettings,
    credentials: CredentialSource,
    options?: ConnectOptions,
  ): Promise<ImapConnection>;
}

/**
 * Creates the IMAP receive protocol on imapflow: password (AUTHENTICATE PLAIN/LOGIN) and OAuth
 * (OAUTHBEARER / XOAUTH2) from any auth provider, a fresh credential on every connect.
 *
 * @deprecated IMAP receive is deprecated; it keeps working, and the first connect per process
 * emits one `DeprecationWarning` (code `MAILPLUG_IMAP_DEPRECATED`).
 *
 * @example
 * const imap = createImapProtocol({ trashMailbox: 'Trash', silenceDeprecation: true });
 * const connection = await imap.connect({ host: 'outlook.office365.com', port: 993, security: 'tls' }, session);
 * for (const { id } of await connection.searchUnseen()) {
 *   await save(id, await connection.fetch(id, { maxBytes: 10_000_000 }));
 *   await connection.markProcessed(id);
 * }
 * await connection.close();
 */
export function createImapProtocol(options: ImapProtocolOptions = {}): ImapProtocol {
  const sessionOptions = {
    ...(options.mailbox ? { mailbox: options.mailbox } : {}),
    ...(options.trashMailbox ? { trashMailbox: options.trashMailbox } : {}),
    ...(options.oauthMechanism ? { oauthMechanism: options.oauthMechanism } : {}),
    ...(options.maxMessageBytes !== undefined ? { maxMessageBytes: options.maxMessageBytes } : {}),
  };
  const proxyFor = (server: ServerSettings) => {
    const proxy = typeof options.proxy === 'function' ? options.proxy(server) : options.proxy;
    if (!proxy) return {};
    registerProxyPassword(proxy);
    return { proxy };
  };
  return {
    specificationVersion: 'v1',
    id: contribution.id,
    label: contribution.label,
    direction: 'receive',
    deprecated: IMAP_DEPRECATION,
    defaultPorts: contribution.defaultPorts,
    connect(server, credentials, connectOptions) {
      emitDeprecationOnce({
        code: IMAP_DEPRECATION_CODE,
        message: IMAP_DEPRECATION.message,
        ...(options.silenceDeprecation ? { silence: true } : {}),
      });
      return openImapSession(server, credentials, {
        ...sessionOptions,
        ...proxyFor(server),
        ...(connectOptions?.clientName ? { clientName: connectOptions.clientName } : {}),
        ...(connectOptions?.signal ? { signal: connectOptions.signal } : {}),
      });
    },
    probe: (server, credentials, probeOptions) =>
      probeImap(server, credentials, { ...sessionOptions, ...proxyFor(server) }, probeOptions),
  };
}

/** A proxy password in the URL is a secret: core redacts it from every message and log. */
function registerProxyPassword(proxy: string): void {
  try {
    const { password } = new URL(proxy);
    if (password) registerSecret(decodeURIComponent(password));
  } catch {
    // imapflow reports a malformed proxy URL itself (classified as IMAP_PROXY_FAILED).
  }
}

/**
 * The default IMAP protocol instance.
 *
 * @deprecated IMAP receive is deprecated.
 */
export const imap: ImapProtocol = createImapProtocol();

/** Registry entry point (see the `mailplug` key in package.json). */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerProtocol(createImapProtocol()));
}
