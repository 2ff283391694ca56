import {
  CoreErrorCode,
  type CredentialRequest,
  type CredentialSource,
  type MailCredential,
  registerSecret,
  type ServerSettings,
} from '@mailplug/core';
import { ImapFlow } from 'imapflow';
import {
  assertImapCredentialTransport,
  CONNECT_DEADLINE_FACTOR,
  imapFlowOptions,
  imapTimeout,
} from './client-options.js';
import { createImapConnection, DEFAULT_MAX_MESSAGE_BYTES, type ImapConnection } from './connection.js';
import { classifyImapError, ImapErrorCode, imapError, isCredentialRefusal } from './errors.js';

/** Which SASL mechanism carries an OAuth token. `auto`: OAUTHBEARER when offered, else XOAUTH2 (imapflow's order). */
export type OAuthMechanism = 'auto' | 'OAUTHBEARER' | 'XOAUTH2';

export type ImapStage = 'tls' | 'greeting' | 'capabilities' | 'starttls' | 'credential' | 'auth' | 'mailbox';

export interface ImapSessionOptions {
  readonly mailbox?: string;
  readonly trashMailbox?: string;
  readonly oauthMechanism?: OAuthMechanism;
  readonly clientName?: string;
  readonly signal?: AbortSignal;
  readonly onStage?: (stage: ImapStage, data?: Record<string, unknown>) => void;
  /** The largest message a fetch may return (default 25 MiB); bounds imapflow's parser limits. */
  readonly maxMessageBytes?: number;
  /** Proxy URL for this server (imapflow's `proxy`: http://, https://, socks5://...). */
  readonly proxy?: string;
}

/** The parts of ImapFlow's internals this package relies on (checked against imapflow 2.10). */
interface ImapFlowInternals {
  authenticate(): Promise<boolean>;
  capabilities: Map<string, unknown>;
  authCapabilities: Map<string, unknown>;
  secureConnection?: boolean;
  socket?: { getProtocol?: () => string | null };
}

/**
 * Opens, secures, authenticates and selects. Every call asks the credential source again (an
 * imapflow instance cannot be reused, and a token must be fresh). A refused OAuth token is
 * retried exactly once with `forceRefresh: true` on a new connection.
 */
export async function openImapSession(
  server: ServerSettings,
  credentials: CredentialSource,
  options: ImapSessionOptions = {},
): Promise<ImapConnection> {
  assertImapCredentialTransport(server);
  try {
    return await attempt(server, credentials, options, false);
  } catch (error) {
    if (!(error instanceof OAuthRefused)) throw error;
    // The token may have been revoked before its expiry; one retry with a token that bypasses every cache.
    try {
      return await attempt(server, credentials, options, true);
    } catch (second) {
      throw second instanceof OAuthRefused ? second.classified : second;
    }
  }
}

/** Internal marker: the server refused an OAuth token (the caller decides whether to retry). */
class OAuthRefused extends Error {
  constructor(readonly classified: Error) {
    super(classified.message);
  }
}

async function attempt(
  server: ServerSettings,
  credentials: CredentialSource,
  options: ImapSessionOptions,
  forceRefresh: boolean,
): Promise<ImapConnection> {
  const stage = options.onStage ?? (() => {});
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const client = new ImapFlow(
    imapFlowOptions(server, options.clientName, { maxMessageBytes, proxy: options.proxy }),
  );
  // imapflow reports a dropped socket as an 'error' event as well; without a listener it would throw.
  client.on('error', () => {});
  const internals = client as unknown as ImapFlowInternals;
  let credential: MailCredential | undefined;
  const authenticate = internals.authenticate.bind(client);
  // imapflow reads `options.auth` only inside authenticate(): fetching the credential here keeps the
  // token as fresh as possible and gives "Test connection" its real stage order.
  internals.authenticate = async () => {
    if (server.security === 'tls') stage('tls', tlsFacts(internals));
    stage('greeting');
    const capabilities = [...internals.capabilities.keys()];
    stage('capabilities', { capabilities });
    if (server.security === 'starttls') stage('starttls', tlsFacts(internals));
    const request: CredentialRequest = {
      protocol: 'imap',
      ...(forceRefresh ? { forceRefresh: true } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
    credential = await credentials.getCredential(request);
    registerSecret(credential.kind === 'oauth2' ? credential.accessToken : credential.password);
    stage('credential', { kind: credential.kind, user: credential.user });
    if (credential.kind === 'oauth2') {
      selectOAuthMechanism(internals.capabilities, options.oauthMechanism ?? 'auto', server);
      client.options.auth = { user: credential.user, accessToken: credential.accessToken };
    } else if (credential.kind === 'password') {
      client.options.auth = { user: credential.user, pass: credential.password };
    } else {
      throw imapError(
        ImapErrorCode.CredentialUnsupported,
        'developer',
        'IMAP received a credential kind it cannot use',
        'Pair the IMAP protocol with a password or OAuth 2.0 auth provider.',
      );
    }
    return authenticate();
  };

  const abort = () => client.close();
  options.signal?.addEventListener('abort', abort, { once: true });
  // imapflow bounds connect and greeting; a server that then never answers CAPABILITY, AUTHENTICATE
  // or SELECT is cut off by this deadline on the whole connect.
  const deadlineMs = CONNECT_DEADLINE_FACTOR * imapTimeout(server);
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    client.close();
  }, deadlineMs);
  try {
    options.signal?.throwIfAborted();
    await client.connect();
    const mechanism = usedMechanism(internals, credential);
    stage('auth', { mechanism });
    const mailbox = await client.mailboxOpen(options.mailbox ?? 'INBOX').catch((error: unknown) => {
      throw imapError(
        ImapErrorCode.MailboxNotFound,
        'admin',
        `IMAP mailbox "${options.mailbox ?? 'INBOX'}" cannot be opened on ${server.host}`,
        'Check the mailbox (folder) name in the account settings; names are case-sensitive except INBOX.',
        { cause: error, details: { mailbox: options.mailbox ?? 'INBOX' } },
      );
    });
    stage('mailbox', {
      mailbox: mailbox.path,
      exists: mailbox.exists,
      uidValidity: String(mailbox.uidValidity),
    });
    return createImapConnection(client, {
      server,
      mailbox: mailbox.path,
      mechanism,
      maxMessageBytes,
      ...(options.trashMailbox ? { trashMailbox: options.trashMailbox } : {}),
    });
  } catch (error) {
    client.close();
    if (timedOut) {
      throw imapError(
        CoreErrorCode.Timeout,
        'retry',
        `IMAP server ${server.host}:${server.port} did not complete sign-in within ${deadlineMs} ms`,
        'Try again later; if it keeps happening check the server, or raise the server timeout (connect may take 3 × timeoutMs).',
        {
          cause: error,
          details: { host: server.host, port: server.port, timeout: 'CONNECT_DEADLINE', deadlineMs },
        },
      );
    }
    const context = {
      host: server.host,
      port: server.port,
      ...(credential ? { credentialKind: credential.kind } : {}),
    };
    const classified = classifyImapError(error, context);
    if (credential?.kind === 'oauth2' && isCredentialRefusal(error)) throw new OAuthRefused(classified);
    throw classified;
  } finally {
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', abort);
  }
}

function tlsFacts(internals: ImapFlowInternals): Record<string, unknown> {
  const protocol = internals.socket?.getProtocol?.();
  return protocol ? { protocol } : {};
}

/** imapflow picks OAUTHBEARER whenever offered; hiding it for this one AUTHENTICATE forces XOAUTH2 (and vice versa). */
function selectOAuthMechanism(
  capabilities: Map<string, unknown>,
  wanted: OAuthMechanism,
  server: ServerSettings,
): void {
  const offered = ['OAUTHBEARER', 'XOAUTH2'].filter((m) => capabilities.has(`AUTH=${m}`));
  const usable = wanted === 'auto' ? offered : offered.filter((m) => m === wanted);
  if (usable.length === 0) {
    throw imapError(
      ImapErrorCode.AuthUnavailable,
      'admin',
      `IMAP server ${server.host}:${server.port} does not offer ${wanted === 'auto' ? 'OAuth sign-in (XOAUTH2 or OAUTHBEARER)' : `AUTHENTICATE ${wanted}`}`,
      'Enable OAuth (XOAUTH2/OAUTHBEARER) for IMAP on the server, or use a password auth provider for this account.',
      { details: { offered: [...capabilities.keys()].filter((k) => k.startsWith('AUTH=')) } },
    );
  }
  if (wanted === 'XOAUTH2') capabilities.delete('AUTH=OAUTHBEARER');
  if (wanted === 'OAUTHBEARER') {
    capabilities.delete('AUTH=XOAUTH2');
    capabilities.delete('AUTH=XOAUTH');
  }
}

function usedMechanism(internals: ImapFlowInternals, credential: MailCredential | undefined): string {
  // imapflow lists every advertised AUTH= capability as false and flips the one that succeeded to true.
  for (const m of ['OAUTHBEARER', 'XOAUTH2', 'PLAIN', 'LOGIN'])
    if (internals.authCapabilities.get(`AUTH=${m}`) === true) return m;
  if (internals.authCapabilities.get('LOGIN') === true) return 'LOGIN-COMMAND';
  return credential ? 'unknown' : 'PREAUTH';
}
