import { assertCredentialTransport, type ServerSettings } from '@mailplug/core';
import type { ImapFlowOptions } from 'imapflow';

/** Default connect + greeting timeout when the account sets none. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** IDLE is re-issued this often (RFC 2177 asks for less than 29 minutes; kept below imapflow's 5 min socket timeout). */
export const IDLE_RESTART_MS = 4 * 60_000;

/** Refuses to send any credential over a plaintext connection unless the account allows it. */
export function assertImapCredentialTransport(server: ServerSettings): void {
  assertCredentialTransport(server, { tls: 993, starttls: 143 });
}

/**
 * imapflow options for one connection attempt. Security modes are exact: `tls` = implicit TLS,
 * `starttls` = upgrade required (never a silent plaintext fallback), `none` = no TLS at all.
 * Authentication options are filled in later, right before AUTHENTICATE (see session.ts).
 */
export function imapFlowOptions(server: ServerSettings, clientName: string | undefined): ImapFlowOptions {
  const timeout = server.timeoutMs ?? DEFAULT_TIMEOUT_MS;
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
    // We run IDLE ourselves, only while a host watches (see watch()).
    disableAutoIdle: true,
    maxIdleTime: IDLE_RESTART_MS,
    clientInfo: { name: clientName ?? 'Mailplug' },
  };
}
