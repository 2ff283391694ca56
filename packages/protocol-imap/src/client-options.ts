import { assertCredentialTransport, type ServerSettings } from '@mailplug/core';
import type { ImapFlowOptions } from 'imapflow';

/** Default connect + greeting timeout when the account sets none. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** IDLE is re-issued this often (RFC 2177 asks for less than 29 minutes; kept below the socket timeout). */
export const IDLE_RESTART_MS = 4 * 60_000;
/** Socket inactivity allowed between commands: never below one IDLE round plus a minute. */
const MIN_SOCKET_TIMEOUT_MS = IDLE_RESTART_MS + 60_000;
/** `connect()` as a whole (TCP, TLS, greeting, CAPABILITY, STARTTLS, AUTHENTICATE, SELECT): 3 × the timeout. */
export const CONNECT_DEADLINE_FACTOR = 3;
/** Framing a response may add around its largest literal (FETCH attributes, the literal marker). */
const RESPONSE_FRAMING_BYTES = 64 * 1024;
/** Tokens one response may hold: far above any real response, far below imapflow's 1,000,000. */
const MAX_RESPONSE_TOKENS = 100_000;

/** imapflow's parser limits for one connection; all derived from the largest message the host fetches. */
export interface ImapResponseLimits {
  readonly maxLineLength: number;
  readonly maxLiteralSize: number;
  readonly maxResponseSize: number;
  readonly maxResponseTokens: number;
}

/**
 * imapflow defaults every limit to about 1 GB, so a hostile or broken server could make the client
 * buffer that much. A literal is at most one message (fetch asks for `maxBytes + 1` bytes), a line
 * without a literal is at most that long too, and a response is one literal plus its framing.
 */
export function imapResponseLimits(maxMessageBytes: number): ImapResponseLimits {
  const literal = Math.floor(maxMessageBytes) + 1;
  return {
    maxLineLength: literal,
    maxLiteralSize: literal,
    maxResponseSize: literal + RESPONSE_FRAMING_BYTES,
    maxResponseTokens: MAX_RESPONSE_TOKENS,
  };
}

export interface ImapClientSettings {
  /** The largest message a fetch may return; bounds every parser limit. */
  readonly maxMessageBytes: number;
  /** HTTP CONNECT or SOCKS proxy URL (imapflow's `proxy`). */
  readonly proxy?: string | undefined;
}

/** Refuses to send any credential over a plaintext connection unless the account allows it. */
export function assertImapCredentialTransport(server: ServerSettings): void {
  assertCredentialTransport(server, { tls: 993, starttls: 143 });
}

/**
 * imapflow options for one connection attempt. Security modes are exact: `tls` = implicit TLS,
 * `starttls` = upgrade required (never a silent plaintext fallback), `none` = no TLS at all.
 * Authentication options are filled in later, right before AUTHENTICATE (see session.ts).
 */
export function imapFlowOptions(
  server: ServerSettings,
  clientName: string | undefined,
  settings: ImapClientSettings,
): ImapFlowOptions {
  const timeout = imapTimeout(server);
  const ca = server.tls?.ca;
  const tls: NonNullable<ImapFlowOptions['tls']> = {
    ...(ca !== undefined ? { ca: typeof ca === 'string' ? ca : [...ca] } : {}),
    ...(server.tls?.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
  };
  return {
    host: server.host,
    port: server.port,
    secure: server.security === 'tls',
    doSTARTTLS: server.security === 'starttls' ? true : server.security === 'none' ? false : undefined,
    ...(server.tls?.servername ? { servername: server.tls.servername } : {}),
    tls,
    logger: false,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: Math.max(timeout, MIN_SOCKET_TIMEOUT_MS),
    ...imapResponseLimits(settings.maxMessageBytes),
    ...(settings.proxy ? { proxy: settings.proxy } : {}),
    // We run IDLE ourselves, only while a host watches (see watch()).
    disableAutoIdle: true,
    maxIdleTime: IDLE_RESTART_MS,
    clientInfo: { name: clientName ?? 'Mailplug' },
  };
}

/** The account's timeout (connect, greeting), or the default. */
export function imapTimeout(server: ServerSettings): number {
  const t = server.timeoutMs;
  return typeof t === 'number' && Number.isFinite(t) && t > 0 ? t : DEFAULT_TIMEOUT_MS;
}
