import { CoreErrorCode, type MailplugError, mailplugError } from '@mailplug/core';

/** Stable codes this package raises (besides core's `TIMEOUT` and `INSECURE_AUTH_REFUSED`). */
export const Pop3ErrorCode = {
  Protocol: 'POP3_PROTOCOL_ERROR',
  AuthFailed: 'POP3_AUTH_FAILED',
  InUse: 'POP3_MAILBOX_IN_USE',
  Temporary: 'POP3_SERVER_TEMPORARY',
  ServerPermanent: 'POP3_SERVER_PERMANENT',
  CommandFailed: 'POP3_COMMAND_FAILED',
  StartTlsUnavailable: 'POP3_STARTTLS_UNAVAILABLE',
  MechanismUnavailable: 'POP3_AUTH_MECHANISM_UNAVAILABLE',
  UidlUnsupported: 'POP3_UIDL_UNSUPPORTED',
  MessageTooLarge: 'POP3_MESSAGE_TOO_LARGE',
  MessageNotFound: 'POP3_MESSAGE_NOT_FOUND',
  ConnectionFailed: 'POP3_CONNECTION_FAILED',
  ConnectionClosed: 'POP3_CONNECTION_CLOSED',
  TlsFailed: 'POP3_TLS_FAILED',
  CredentialUnsupported: 'POP3_CREDENTIAL_UNSUPPORTED',
} as const;

export type Pop3ErrorCode = (typeof Pop3ErrorCode)[keyof typeof Pop3ErrorCode];

/** Core's `mailplugError` under this package's name (kept for readability at call sites). */
export const pop3Error = mailplugError;

export function protocolError(message: string, details?: Record<string, unknown>): MailplugError {
  return pop3Error(
    Pop3ErrorCode.Protocol,
    'admin',
    `POP3 server sent an invalid reply: ${message}`,
    'Check that host and port point at a POP3 server (110 with STLS, 995 with implicit TLS).',
    details ? { details } : {},
  );
}

export function timeoutError(what: string, timeoutMs: number): MailplugError {
  return pop3Error(
    CoreErrorCode.Timeout,
    'retry',
    `POP3 server did not answer ${what} within ${timeoutMs} ms`,
    'Try again later, or raise the server timeout if the server is known to be slow.',
    { details: { timeoutMs } },
  );
}

/**
 * Maps a `-ERR` reply to a MailplugError. RFC 2449 / RFC 3206 response codes decide who acts;
 * without a code, a failed authentication command means bad credentials.
 */
export function classifyErr(
  command: string,
  text: string,
  responseCode: string | undefined,
  phase: 'auth' | 'transaction',
): MailplugError {
  const details = { command, ...(responseCode ? { responseCode } : {}), reply: text.slice(0, 200) };
  const code = responseCode?.toUpperCase();
  if (code === 'IN-USE' || code === 'LOGIN-DELAY') {
    return pop3Error(
      Pop3ErrorCode.InUse,
      'retry',
      `POP3 mailbox is busy: ${text}`,
      'Another client holds the mailbox; try again in a few minutes and make sure only one job polls it.',
      { details },
    );
  }
  if (code === 'SYS/TEMP') {
    return pop3Error(
      Pop3ErrorCode.Temporary,
      'retry',
      `POP3 server had a temporary problem: ${text}`,
      'Try again later; the server reported a temporary failure.',
      {
        details,
      },
    );
  }
  if (code === 'SYS/PERM') {
    return pop3Error(
      Pop3ErrorCode.ServerPermanent,
      'admin',
      `POP3 server refused the mailbox: ${text}`,
      'Ask the mail server administrator to check the mailbox (POP access, quota, account state).',
      { details },
    );
  }
  if (code === 'AUTH' || phase === 'auth') {
    return pop3Error(
      Pop3ErrorCode.AuthFailed,
      'user',
      `POP3 server rejected the credentials: ${text}`,
      'Sign in again or correct the mailbox password, and check that POP access is enabled for the mailbox.',
      { details },
    );
  }
  return pop3Error(
    Pop3ErrorCode.CommandFailed,
    'admin',
    `POP3 command ${command} failed: ${text}`,
    'Check the server log for the reason, or run "Test connection" for the account.',
    { details },
  );
}
