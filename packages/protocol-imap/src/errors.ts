import {
  CoreErrorCode,
  type ErrorAction,
  isMailplugError,
  type MailplugError,
  mailplugError,
} from '@mailplug/core';

/** Stable codes this package raises (besides core's `TIMEOUT` and `INSECURE_AUTH_REFUSED`). */
export const ImapErrorCode = {
  AuthFailed: 'IMAP_AUTH_FAILED',
  TokenRejected: 'IMAP_TOKEN_REJECTED',
  AuthUnavailable: 'IMAP_AUTH_MECHANISM_UNAVAILABLE',
  ServerUnavailable: 'IMAP_SERVER_UNAVAILABLE',
  AccountProblem: 'IMAP_ACCOUNT_PROBLEM',
  StartTlsUnavailable: 'IMAP_STARTTLS_UNAVAILABLE',
  TlsCertificateUntrusted: 'IMAP_TLS_CERT_UNTRUSTED',
  TlsHostnameMismatch: 'IMAP_TLS_HOSTNAME_MISMATCH',
  TlsCertificateExpired: 'IMAP_TLS_CERT_EXPIRED',
  TlsFailed: 'IMAP_TLS_FAILED',
  ConnectionRefused: 'IMAP_CONNECTION_REFUSED',
  HostNotFound: 'IMAP_HOST_NOT_FOUND',
  ConnectionLost: 'IMAP_CONNECTION_LOST',
  ConnectionClosed: 'IMAP_CONNECTION_CLOSED',
  MailboxNotFound: 'IMAP_MAILBOX_NOT_FOUND',
  UidValidityChanged: 'IMAP_UIDVALIDITY_CHANGED',
  MessageNotFound: 'IMAP_MESSAGE_NOT_FOUND',
  MessageTooLarge: 'IMAP_MESSAGE_TOO_LARGE',
  InvalidId: 'IMAP_INVALID_ID',
  CredentialUnsupported: 'IMAP_CREDENTIAL_UNSUPPORTED',
  CommandFailed: 'IMAP_COMMAND_FAILED',
  ResponseTooLarge: 'IMAP_RESPONSE_TOO_LARGE',
  ProxyFailed: 'IMAP_PROXY_FAILED',
  Failed: 'IMAP_FAILED',
} as const;

export type ImapErrorCode = (typeof ImapErrorCode)[keyof typeof ImapErrorCode];

/** Core's `mailplugError` under this package's name (kept for readability at call sites). */
export const imapError = mailplugError;

/** What imapflow hangs on its errors (see imapflow `errors.js` / `commands/authenticate.js`). */
interface ImapFlowErrorShape {
  readonly code?: string;
  readonly message?: string;
  readonly authenticationFailed?: boolean;
  readonly serverResponseCode?: string;
  readonly tlsFailed?: boolean;
  readonly oauthError?: { status?: string; schemes?: string; scope?: string } | false | undefined;
}

/**
 * The fields imapflow, sockets and TLS put on an error, read defensively: a thrown value may be
 * anything (a string, a null-prototype object, a field of the wrong type), and classifying it must
 * never throw.
 */
function errorShape(error: unknown): ImapFlowErrorShape {
  if (typeof error !== 'object' || error === null) return {};
  const e = error as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const oauth = e.oauthError;
  const oauthStatus =
    typeof oauth === 'object' && oauth !== null ? text((oauth as Record<string, unknown>).status) : undefined;
  const code = text(e.code);
  const message = text(e.message);
  const serverResponseCode = text(e.serverResponseCode);
  return {
    ...(code !== undefined ? { code } : {}),
    ...(message !== undefined ? { message } : {}),
    ...(e.authenticationFailed === true ? { authenticationFailed: true } : {}),
    ...(serverResponseCode !== undefined ? { serverResponseCode } : {}),
    ...(e.tlsFailed === true ? { tlsFailed: true } : {}),
    ...(oauthStatus !== undefined ? { oauthError: { status: oauthStatus } } : {}),
  };
}

export interface ImapClassificationContext {
  readonly host: string;
  readonly port: number;
  readonly credentialKind?: 'password' | 'oauth2';
  /** The IMAP command being run when the error happened (for command failures). */
  readonly command?: string;
}

const TLS_UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);
const CONNECTION_LOST = new Set([
  'NoConnection',
  'EConnectionClosed',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
  'ECONNRESET',
  'EPIPE',
  'StateLogout',
]);
const TIMEOUTS = new Set(['ETIMEDOUT', 'ETIMEOUT', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);
/** imapflow's parser limits (see `imapResponseLimits`). */
const OVERSIZED = new Set(['LineTooLarge', 'LiteralTooLarge', 'ResponseTooLarge', 'TooManyTokens']);

/** True for a TLS-layer failure (used by probe to name the failing stage). */
export function isTlsFailure(error: unknown): boolean {
  if (isMailplugError(error))
    return error.code.startsWith('IMAP_TLS_') || error.code === ImapErrorCode.StartTlsUnavailable;
  const e = errorShape(error);
  return (
    e.tlsFailed === true || TLS_UNTRUSTED.has(e.code ?? '') || /^ERR_(SSL|TLS)_|^CERT_/.test(e.code ?? '')
  );
}

/** True when an authentication failure was the server refusing the credential (not the mechanism, not a transient). */
export function isCredentialRefusal(error: unknown): boolean {
  const e = errorShape(error);
  if (e.authenticationFailed !== true) return false;
  const code = (e.serverResponseCode ?? '').toUpperCase();
  return code === '' || code === 'AUTHENTICATIONFAILED' || code === 'EXPIRED';
}

/**
 * Maps an imapflow, socket or TLS error onto a MailplugError. RFC 5530 response codes decide
 * who acts; a bare authentication failure is a wrong password or a rejected token.
 */
export function classifyImapError(error: unknown, context: ImapClassificationContext): MailplugError {
  if (isMailplugError(error)) return error;
  const e = errorShape(error);
  const code = e.code ?? '';
  const where = `${context.host}:${context.port}`;
  const responseCode = (e.serverResponseCode ?? '').toUpperCase();
  const oauthStatus = e.oauthError ? e.oauthError.status : undefined;
  const details: Record<string, unknown> = {
    host: context.host,
    port: context.port,
    ...(code ? { errorCode: code } : {}),
    ...(responseCode ? { responseCode } : {}),
    ...(oauthStatus ? { oauthStatus } : {}),
    ...(context.command ? { command: context.command } : {}),
  };
  const make = (c: string, action: ErrorAction, message: string, hint: string) =>
    imapError(c, action, message, hint, { cause: error, details });

  if (e.authenticationFailed) {
    if (responseCode === 'UNAVAILABLE' || responseCode === 'INUSE' || responseCode === 'LIMIT') {
      return make(
        ImapErrorCode.ServerUnavailable,
        'retry',
        `IMAP server ${where} could not check the credentials right now (${responseCode})`,
        'Try again later; the server reported a temporary authentication problem, not a wrong credential.',
      );
    }
    if (
      responseCode === 'CONTACTADMIN' ||
      responseCode === 'PRIVACYREQUIRED' ||
      responseCode === 'AUTHORIZATIONFAILED'
    ) {
      return make(
        ImapErrorCode.AccountProblem,
        'admin',
        `IMAP server ${where} refused the mailbox (${responseCode})`,
        'Ask the mail server administrator to enable IMAP access for this mailbox and check its permissions.',
      );
    }
    if (context.credentialKind === 'oauth2') {
      return make(
        ImapErrorCode.TokenRejected,
        'user',
        `IMAP server ${where} rejected the OAuth access token${oauthStatus ? ` (status ${oauthStatus})` : ''}`,
        'Sign in again for this account, and check that the app was granted IMAP access (Google https://mail.google.com/, Microsoft IMAP.AccessAsUser.All or IMAP.AccessAsApp).',
      );
    }
    return make(
      ImapErrorCode.AuthFailed,
      'user',
      `IMAP server ${where} rejected the user name or password`,
      'Correct the mailbox password (or app password) in the account settings and check that IMAP access is enabled for the mailbox.',
    );
  }
  if (e.message === 'Unsupported authentication mechanism' || e.message === 'Login is disabled') {
    return make(
      ImapErrorCode.AuthUnavailable,
      'admin',
      `IMAP server ${where} offers no sign-in method for this credential (${e.message})`,
      'Enable the matching IMAP authentication on the server (XOAUTH2/OAUTHBEARER for OAuth, PLAIN/LOGIN for passwords), or pick another auth provider.',
    );
  }
  if (OVERSIZED.has(code)) {
    return make(
      ImapErrorCode.ResponseTooLarge,
      'admin',
      `IMAP server ${where} sent a response larger than this client accepts (${code}); the connection was closed`,
      'Check that the host and port belong to the real IMAP server (a broken or hostile peer floods the client); if the mailbox holds larger messages, raise maxMessageBytes in createImapProtocol.',
    );
  }
  if (e.message === 'Failed to setup proxy connection' || code === 'EPROXY') {
    if (TIMEOUTS.has(code)) {
      return make(
        CoreErrorCode.Timeout,
        'retry',
        `The proxy did not open a tunnel to IMAP server ${where} in time`,
        'Try again later, or raise the server timeout if the proxy is known to be slow.',
      );
    }
    return make(
      ImapErrorCode.ProxyFailed,
      'admin',
      `The proxy did not open a tunnel to IMAP server ${where}`,
      'Check the proxy URL (the proxy option of createImapProtocol) and that the proxy allows CONNECT to the IMAP host and port; add proxy credentials to the URL if it asks for them (407).',
    );
  }
  if (e.tlsFailed && /STARTTLS/i.test(e.message ?? '')) {
    return make(
      ImapErrorCode.StartTlsUnavailable,
      'admin',
      `IMAP server ${where} does not offer STARTTLS`,
      'Use security "tls" on port 993, or enable STARTTLS on the server; Mailplug never falls back to plain text.',
    );
  }
  if (TLS_UNTRUSTED.has(code)) {
    return make(
      ImapErrorCode.TlsCertificateUntrusted,
      'admin',
      `The TLS certificate of ${where} is not trusted (${code})`,
      'Add the server CA certificate to the account (tls.ca) or install a certificate from a public CA on the server.',
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return make(
      ImapErrorCode.TlsHostnameMismatch,
      'admin',
      `The TLS certificate of ${where} does not name this host`,
      'Connect with the host name the certificate was issued for, or set tls.servername to it.',
    );
  }
  if (code === 'CERT_HAS_EXPIRED') {
    return make(
      ImapErrorCode.TlsCertificateExpired,
      'admin',
      `The TLS certificate of ${where} has expired`,
      'Renew the certificate on the mail server.',
    );
  }
  if (isTlsFailure(error)) {
    return make(
      ImapErrorCode.TlsFailed,
      'admin',
      `TLS with ${where} failed: ${e.message ?? code}`,
      'Check that the security mode matches the port (993 = tls, 143 = starttls) and that the server TLS configuration is valid.',
    );
  }
  if (code === 'ECONNREFUSED') {
    return make(
      ImapErrorCode.ConnectionRefused,
      'admin',
      `Nothing accepts IMAP connections at ${where}`,
      'Check the host and port (993 for tls, 143 for starttls) and that a firewall allows the connection.',
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return make(
      ImapErrorCode.HostNotFound,
      code === 'EAI_AGAIN' ? 'retry' : 'admin',
      `The IMAP host ${context.host} cannot be resolved`,
      'Check the spelling of the IMAP host name in the account settings.',
    );
  }
  if (TIMEOUTS.has(code)) {
    return make(
      CoreErrorCode.Timeout,
      'retry',
      `IMAP server ${where} did not answer in time (${code})`,
      'Try again later, or raise the server timeout if the server is known to be slow.',
    );
  }
  if (CONNECTION_LOST.has(code) || code === 'ETHROTTLE') {
    return make(
      ImapErrorCode.ConnectionLost,
      'retry',
      `The connection to IMAP server ${where} was lost`,
      'Try again; reconnects are automatic with the supervisor, and repeated drops point at a server or network problem.',
    );
  }
  if (context.command) {
    return make(
      ImapErrorCode.CommandFailed,
      'admin',
      `IMAP command ${context.command} failed on ${where}: ${e.message ?? 'unknown error'}`,
      'Run "Test connection" for the account and check the mail server log for the reason.',
    );
  }
  return make(
    ImapErrorCode.Failed,
    'developer',
    `IMAP connection to ${where} failed: ${e.message ?? (typeof error === 'string' ? error : 'unknown error')}`,
    'Report this with the "Test connection" steps attached.',
  );
}

/** Whether a failed connect is worth retrying later (network trouble), as opposed to a setting or credential to fix. */
export function isRetryableImapError(error: unknown): boolean {
  if (!isMailplugError(error)) return false;
  if (error.action === 'retry') return true;
  return error.code === ImapErrorCode.ConnectionRefused;
}
