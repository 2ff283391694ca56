import type { ServerSettings } from '@mailplug/core';

/** The timeout used when the server settings carry none (core's accounts default to 120 s). */
export const DEFAULT_SMTP_TIMEOUT_MS = 60_000;

/** How many timeouts one whole `send()` may take: connect, greeting, TLS, AUTH, envelope and DATA together. */
export const SEND_DEADLINE_FACTOR = 3;

/** Every bound an SMTP session runs under, all derived from `server.timeoutMs` (T). */
export interface SmtpDeadlines {
  /** DNS, TCP, the proxy's CONNECT and implicit TLS: T. */
  readonly connectMs: number;
  /** From connected to the `220` greeting (and a STARTTLS handshake): T. */
  readonly greetingMs: number;
  /** Socket inactivity while a command waits for its reply (AUTH, MAIL FROM, DATA...): T. */
  readonly inactivityMs: number;
  /** One whole `send()`, from a free connection to the server's reply to the message, retry included: 3 × T. */
  readonly sendMs: number;
}

/**
 * The deadlines for one server. A peer that accepts TCP and never greets, never answers a command,
 * or keeps a session alive by trickling bytes is cut off by one of them.
 *
 * @example
 * smtpDeadlines({ host: 'smtp.example.com', port: 587, security: 'starttls', timeoutMs: 120_000 });
 * // { connectMs: 120000, greetingMs: 120000, inactivityMs: 120000, sendMs: 360000 }
 */
export function smtpDeadlines(server: Pick<ServerSettings, 'timeoutMs'>): SmtpDeadlines {
  const t =
    typeof server.timeoutMs === 'number' && Number.isFinite(server.timeoutMs) && server.timeoutMs > 0
      ? server.timeoutMs
      : DEFAULT_SMTP_TIMEOUT_MS;
  return { connectMs: t, greetingMs: t, inactivityMs: t, sendMs: SEND_DEADLINE_FACTOR * t };
}
