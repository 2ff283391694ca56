import type { ConnectionOptions } from 'node:tls';
import { assertCredentialTransport, CoreErrorCode, MailplugError, type ServerSettings } from '@mailplug/core';
import { smtpDeadlines } from './deadlines.js';

/** The nodemailer connection options Mailplug controls (shared by transport, pool and probe). */
export interface SmtpWireOptions {
  host: string;
  port: number;
  secure: boolean;
  requireTLS: boolean;
  ignoreTLS: boolean;
  opportunisticTLS: false;
  name?: string;
  tls: ConnectionOptions;
  connectionTimeout: number;
  greetingTimeout: number;
  socketTimeout: number;
}

/**
 * Security modes map one to one: `starttls` → requireTLS (no plaintext fallback), `tls` → implicit
 * TLS, `none` → plaintext with STARTTLS ignored. Certificate validation stays on unless the account
 * explicitly turns it off for diagnostics. The connect, greeting and inactivity timeouts are always
 * set (see `smtpDeadlines`), never nodemailer's 10-minute socket default.
 */
export function wireOptions(server: ServerSettings, clientName?: string): SmtpWireOptions {
  validateServer(server);
  const deadlines = smtpDeadlines(server);
  const tls: ConnectionOptions = {
    rejectUnauthorized: server.tls?.rejectUnauthorized ?? true,
    minVersion: 'TLSv1.2',
    ...(server.tls?.ca
      ? { ca: typeof server.tls.ca === 'string' ? [server.tls.ca] : [...server.tls.ca] }
      : {}),
    ...(server.tls?.servername ? { servername: server.tls.servername } : {}),
  };
  return {
    host: server.host,
    port: server.port,
    secure: server.security === 'tls',
    requireTLS: server.security === 'starttls',
    ignoreTLS: server.security === 'none',
    opportunisticTLS: false,
    ...(clientName ? { name: clientName } : {}),
    tls,
    connectionTimeout: deadlines.connectMs,
    greetingTimeout: deadlines.greetingMs,
    socketTimeout: deadlines.inactivityMs,
  };
}

function validateServer(server: ServerSettings): void {
  const problems: string[] = [];
  if (!server.host || /\s/.test(server.host)) problems.push('server.host');
  if (!Number.isInteger(server.port) || server.port < 1 || server.port > 65535) problems.push('server.port');
  if (!['starttls', 'tls', 'none'].includes(server.security)) problems.push('server.security');
  if (problems.length > 0) {
    throw new MailplugError({
      code: CoreErrorCode.ConfigInvalid,
      action: 'admin',
      message: `The SMTP server settings are invalid: ${problems.join(', ')}.`,
      hint: 'Enter the SMTP host, a port from 1 to 65535, and security "starttls", "tls" or "none".',
      details: { fields: problems },
    });
  }
}

/** Credentials never travel in clear text unless the account explicitly allows it. */
export function assertSmtpCredentialTransport(server: ServerSettings): void {
  assertCredentialTransport(server, { tls: 465, starttls: 587 });
}
