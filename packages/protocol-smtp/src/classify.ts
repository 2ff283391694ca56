import { type ErrorAction, isMailplugError, MailplugError } from '@mailplug/core';
import { PROVIDER_REPLY_RULES } from './provider-replies.js';

/** Error codes this package raises (documented in the README; never change meaning). */
export const SmtpErrorCode = {
  AuthDisabled: 'SMTP_AUTH_DISABLED',
  BasicAuthDisabled: 'SMTP_BASIC_AUTH_DISABLED',
  AppPasswordRequired: 'SMTP_APP_PASSWORD_REQUIRED',
  WebSignInRequired: 'SMTP_WEB_SIGN_IN_REQUIRED',
  SendAsDenied: 'SMTP_SEND_AS_DENIED',
  MailboxConcurrencyLimit: 'SMTP_MAILBOX_CONCURRENCY_LIMIT',
  SubmissionQuotaExceeded: 'SMTP_SUBMISSION_QUOTA_EXCEEDED',
  AuthNotPermitted: 'SMTP_AUTH_NOT_PERMITTED',
  NotAuthenticated: 'SMTP_NOT_AUTHENTICATED',
  TokenExpiringSoon: 'SMTP_TOKEN_EXPIRING_SOON',
  BadCredentials: 'SMTP_BAD_CREDENTIALS',
  TokenRejected: 'SMTP_TOKEN_REJECTED',
  AuthUnavailable: 'SMTP_AUTH_UNAVAILABLE',
  Transient: 'SMTP_TRANSIENT',
  RecipientsRejected: 'SMTP_RECIPIENTS_REJECTED',
  MessageRejected: 'SMTP_MESSAGE_REJECTED',
  StartTlsUnavailable: 'SMTP_STARTTLS_UNAVAILABLE',
  TlsCertificateUntrusted: 'SMTP_TLS_CERT_UNTRUSTED',
  TlsHostnameMismatch: 'SMTP_TLS_HOSTNAME_MISMATCH',
  TlsCertificateExpired: 'SMTP_TLS_CERT_EXPIRED',
  TlsFailed: 'SMTP_TLS_FAILED',
  ConnectionRefused: 'SMTP_CONNECTION_REFUSED',
  HostNotFound: 'SMTP_HOST_NOT_FOUND',
  Timeout: 'SMTP_TIMEOUT',
  ConnectionLost: 'SMTP_CONNECTION_LOST',
  DeliveryUnconfirmed: 'SMTP_DELIVERY_UNCONFIRMED',
  ProxyFailed: 'SMTP_PROXY_FAILED',
  ProxyInvalid: 'SMTP_PROXY_INVALID',
  QueueFull: 'SMTP_QUEUE_FULL',
  ConnectionClosed: 'SMTP_CONNECTION_CLOSED',
  Failed: 'SMTP_FAILED',
} as const;
export type SmtpErrorCode = (typeof SmtpErrorCode)[keyof typeof SmtpErrorCode];

/** Attached by our own credential hooks so the original MailplugError survives nodemailer's wrapping. */
export const ORIGINAL_ERROR = Symbol.for('mailplug.smtp.originalError');

/** Set on errors raised while opening the tunnel through the HTTP proxy. */
export const PROXY_FAILURE = Symbol.for('mailplug.smtp.proxyFailure');

/** The facts a rule can match on, pulled out of a nodemailer or socket error. */
export interface SmtpFailureSignal {
  /** SMTP reply code (535, 451...). */
  readonly replyCode?: number;
  /** Enhanced status code (`5.7.139`). */
  readonly enhancedStatus?: string;
  /** The server's reply text. */
  readonly response?: string;
  /** nodemailer error type (EAUTH, ETLS, EENVELOPE...) or socket errno. */
  readonly errorCodes: readonly string[];
  /** The SMTP command that failed (`AUTH XOAUTH2`, `RCPT TO`, `STARTTLS`, `CONN`...). */
  readonly command?: string;
  /** nodemailer's timeout phase (`CONNECT_TIMEOUT`, `GREETING_TIMEOUT`, `SOCKET_TIMEOUT`...). */
  readonly timeoutType?: string;
  /** The failure happened while opening the tunnel through the HTTP proxy. */
  readonly proxyFailure?: boolean;
  readonly text: string;
}

export interface SmtpClassificationContext {
  /** The credential kind in use; a bare 535 means a wrong password or a rejected token. */
  readonly credentialKind?: 'password' | 'oauth2';
  readonly host?: string;
  readonly port?: number;
  /** `host:port` of the HTTP proxy the connection goes through, if any. */
  readonly proxy?: string;
}

interface Rule {
  readonly code: SmtpErrorCode | string;
  readonly action: ErrorAction;
  readonly message: string;
  readonly hint: string;
  readonly retryAfterMs?: number;
  readonly when: (s: SmtpFailureSignal, c: SmtpClassificationContext) => boolean;
}

const has = (s: SmtpFailureSignal, ...codes: string[]) => codes.some((c) => s.errorCodes.includes(c));
const status = (s: SmtpFailureSignal, prefix: string) => s.enhancedStatus === prefix;
const isTimeout = (s: SmtpFailureSignal) =>
  has(s, 'ETIMEDOUT', 'CONNECT_TIMEOUT', 'SOCKET_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT');
const isAuthCommand = (s: SmtpFailureSignal) => (s.command ?? '').startsWith('AUTH') || has(s, 'EAUTH');

/**
 * The classification table, first match wins. Order matters: specific enhanced status codes before
 * the generic reply classes, TLS details before the generic TLS failure.
 */
const RULES: readonly Rule[] = [
  // Gmail and Exchange Online replies first: they name a more specific fix than their reply class.
  ...PROVIDER_REPLY_RULES.map(
    (row): Rule => ({
      ...row,
      when: (s) =>
        (row.replyCode === undefined || s.replyCode === row.replyCode) &&
        (row.status === undefined || s.enhancedStatus === row.status) &&
        (row.text === undefined || row.text.test(s.response ?? '')),
    }),
  ),
  {
    code: SmtpErrorCode.ProxyFailed,
    action: 'admin',
    message: 'The HTTP proxy did not open a tunnel to the SMTP server.',
    hint: 'Check the proxy URL (SMTP_PROXY or the proxy option) and that the proxy allows CONNECT to the SMTP host and port (tinyproxy ConnectPort, squid SSL_ports); add proxy credentials to the URL if it asks for them (407).',
    when: (s) => s.proxyFailure === true && !isTimeout(s),
  },
  {
    code: SmtpErrorCode.AuthNotPermitted,
    action: 'admin',
    message:
      'The identity provider issued a token but the mail server refused it for this mailbox (535 5.7.3).',
    hint: 'For app-only access register the service principal in Exchange (New-ServicePrincipal) and grant it the mailbox (Add-MailboxPermission FullAccess, Add-RecipientPermission SendAs); otherwise check the token is for the mailbox you send from.',
    when: (s) => status(s, '5.7.3') && (s.replyCode === 535 || isAuthCommand(s)),
  },
  {
    code: SmtpErrorCode.NotAuthenticated,
    action: 'developer',
    message: 'The server refused mail because the client had not authenticated (530 5.7.57).',
    hint: 'Make sure the account has credentials and the server offers AUTH on this connection (usually only after STARTTLS on port 587).',
    when: (s) => status(s, '5.7.57') || (s.replyCode === 530 && !isAuthCommand(s)),
  },
  {
    code: SmtpErrorCode.TokenExpiringSoon,
    action: 'retry',
    message: 'The server refused an access token that was about to expire (501 5.5.127).',
    hint: 'Refresh access tokens several minutes before they expire; the send is retried once after a forced refresh.',
    when: (s) => status(s, '5.5.127'),
  },
  {
    code: SmtpErrorCode.TokenRejected,
    action: 'user',
    message: 'The server rejected the OAuth access token, also after a forced refresh.',
    hint: 'Sign in again for this account, and check that the token carries the SMTP scope (https://outlook.office.com/SMTP.Send or https://mail.google.com/) for the mailbox you send from.',
    when: (s, c) =>
      c.credentialKind === 'oauth2' && isAuthCommand(s) && (s.replyCode === 535 || s.replyCode === 334),
  },
  {
    code: SmtpErrorCode.BadCredentials,
    action: 'user',
    message: 'The server rejected the username or password.',
    hint: 'Check the username and password (use an app password where the provider requires one) and update the secret in the host secret store.',
    when: (s) => status(s, '5.7.8') || (s.replyCode === 535 && isAuthCommand(s)),
  },
  {
    code: SmtpErrorCode.StartTlsUnavailable,
    action: 'admin',
    message: 'The server did not accept STARTTLS, and this account requires it.',
    hint: 'Use security "tls" (usually port 465) if the server speaks implicit TLS, or the submission port 587 that offers STARTTLS; never fall back to plaintext.',
    when: (s) => s.command === 'STARTTLS' && s.replyCode !== undefined,
  },
  {
    code: SmtpErrorCode.TlsHostnameMismatch,
    action: 'admin',
    message: "The server's certificate is not valid for the host name that was used.",
    hint: 'Connect with the host name the certificate was issued for, or set server.tls.servername to it.',
    when: (s) =>
      has(s, 'ERR_TLS_CERT_ALTNAME_INVALID') || /does not match certificate|altnames/i.test(s.text),
  },
  {
    code: SmtpErrorCode.TlsCertificateExpired,
    action: 'admin',
    message: "The server's certificate has expired.",
    hint: "The mail server's administrator must renew its certificate; until then the connection is refused.",
    when: (s) => has(s, 'CERT_HAS_EXPIRED') || /certificate has expired/i.test(s.text),
  },
  {
    code: SmtpErrorCode.TlsCertificateUntrusted,
    action: 'admin',
    message: "The server's certificate is not signed by a trusted authority (self-signed or private CA).",
    hint: 'Supply the CA certificate that issued the server certificate as server.tls.ca (PEM), or install a publicly trusted certificate on the server.',
    when: (s) =>
      has(
        s,
        'DEPTH_ZERO_SELF_SIGNED_CERT',
        'SELF_SIGNED_CERT_IN_CHAIN',
        'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      ) ||
      /self[- ]signed certificate|unable to verify the first certificate|unable to get local issuer certificate/i.test(
        s.text,
      ),
  },
  {
    code: SmtpErrorCode.TlsFailed,
    action: 'admin',
    message: 'The TLS handshake with the server failed.',
    hint: 'Check that the security mode matches the port (465 = tls, 587 = starttls) and that the server supports TLS 1.2 or newer.',
    when: (s) => has(s, 'ETLS') || /ssl|tls/i.test(s.errorCodes.join(' ')),
  },
  {
    code: SmtpErrorCode.HostNotFound,
    action: 'admin',
    message: 'The SMTP host name could not be resolved.',
    hint: 'Check the spelling of the SMTP host and that the machine can resolve DNS names.',
    when: (s) => has(s, 'ENOTFOUND', 'EAI_AGAIN', 'EDNS'),
  },
  {
    code: SmtpErrorCode.ConnectionRefused,
    action: 'admin',
    message: 'The SMTP server refused the connection.',
    hint: 'Check the host and port (587 for STARTTLS, 465 for TLS) and that no firewall blocks outbound SMTP.',
    when: (s) => has(s, 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH'),
  },
  {
    code: SmtpErrorCode.Timeout,
    action: 'retry',
    message: 'The SMTP server did not answer in time.',
    hint: 'Try again later; if it keeps happening check that a firewall does not silently drop SMTP traffic and raise server.timeoutMs.',
    when: isTimeout,
  },
  {
    code: SmtpErrorCode.RecipientsRejected,
    action: 'user',
    message: 'The server rejected every recipient of the message.',
    hint: 'Check the recipient addresses; the rejection reason of each is in details.rejected.',
    when: (s) => has(s, 'EENVELOPE') && s.command === 'RCPT TO' && (s.replyCode ?? 500) >= 500,
  },
  {
    code: SmtpErrorCode.Transient,
    action: 'retry',
    message: 'The server is closing the session (421): it is busy, restarting, or ended an idle session.',
    hint: 'Try again later; a send that had not started the message yet is already retried once on a fresh connection.',
    when: (s) => s.replyCode === 421,
  },
  {
    code: SmtpErrorCode.Transient,
    action: 'retry',
    message: 'The server deferred the request with a temporary failure.',
    hint: 'Try again later; the server asked the client to retry (4xx).',
    when: (s) => s.replyCode !== undefined && s.replyCode >= 400 && s.replyCode < 500,
  },
  {
    code: SmtpErrorCode.ConnectionLost,
    action: 'retry',
    message: 'The connection to the SMTP server was lost.',
    hint: 'Try again later; if it keeps happening check the network path to the server.',
    when: (s) => has(s, 'ECONNRESET', 'ECONNECTION', 'EPIPE', 'ESOCKET') && s.replyCode === undefined,
  },
  {
    code: SmtpErrorCode.MessageRejected,
    action: 'admin',
    message: 'The server permanently rejected the message.',
    hint: "Read the server's reply in details.response; common causes are a From address the account may not send as, or a message too large.",
    when: (s) => s.replyCode !== undefined && s.replyCode >= 500,
  },
];

const ENHANCED = /\b([245]\.\d{1,3}\.\d{1,3})\b/;

/** Pulls the matchable facts out of a nodemailer/socket error. */
/** The text of any thrown value; never throws (a null-prototype object has no toString). */
function thrownText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null) {
    const message = (error as Record<string, unknown>).message;
    return typeof message === 'string' ? message : '';
  }
  return typeof error === 'symbol' ? error.toString() : String(error);
}

export function smtpFailureSignal(error: unknown): SmtpFailureSignal {
  const e = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const response = typeof e.response === 'string' ? e.response : undefined;
  const replyCode =
    typeof e.responseCode === 'number'
      ? e.responseCode
      : response && /^\d{3}/.test(response)
        ? Number(response.slice(0, 3))
        : undefined;
  const text = `${thrownText(error)} ${response ?? ''}`;
  const timeoutType = typeof e.timeoutType === 'string' ? e.timeoutType : undefined;
  const errorCodes = [
    e.code,
    e.originalCode,
    typeof e.cause === 'object' && e.cause !== null ? (e.cause as Record<string, unknown>).code : undefined,
    timeoutType,
  ]
    .filter((c): c is string => typeof c === 'string')
    .concat(e.reason === 'CONNECT_TIMEOUT' ? ['CONNECT_TIMEOUT'] : []);
  const proxyFailure =
    e.code === 'EPROXY' || (error as { [PROXY_FAILURE]?: boolean } | undefined)?.[PROXY_FAILURE] === true;
  const enhancedStatus = ENHANCED.exec(response ?? '')?.[1];
  return {
    ...(replyCode !== undefined ? { replyCode } : {}),
    ...(enhancedStatus ? { enhancedStatus } : {}),
    ...(response !== undefined ? { response } : {}),
    ...(typeof e.command === 'string' ? { command: e.command } : {}),
    ...(timeoutType ? { timeoutType } : {}),
    ...(proxyFailure ? { proxyFailure } : {}),
    errorCodes,
    text,
  };
}

const ROUTE_CLOSED_CODES: ReadonlySet<string> = new Set([
  SmtpErrorCode.AuthDisabled,
  SmtpErrorCode.BasicAuthDisabled,
]);

/**
 * Maps any error from sending or probing over SMTP to a MailplugError with a stable code, who must
 * act, and a hint. MailplugErrors (e.g. from a CredentialSource) pass through unchanged.
 *
 * @example
 * try { await connection.send(msg) } catch (e) {
 *   const err = classifySmtpError(e, { credentialKind: 'oauth2' });
 *   if (err.code === 'SMTP_AUTH_DISABLED') showAdminNotice(err.hint);
 * }
 */
export function classifySmtpError(error: unknown, context: SmtpClassificationContext = {}): MailplugError {
  const original = (error as { [ORIGINAL_ERROR]?: unknown } | undefined)?.[ORIGINAL_ERROR];
  if (original !== undefined && isMailplugError(original)) return original;
  if (isMailplugError(error)) return error;
  const signal = smtpFailureSignal(error);
  const rule = RULES.find((r) => r.when(signal, context));
  const details: Record<string, unknown> = {
    ...(signal.replyCode !== undefined ? { replyCode: signal.replyCode } : {}),
    ...(signal.enhancedStatus ? { enhancedStatus: signal.enhancedStatus } : {}),
    ...(signal.response ? { response: signal.response } : {}),
    ...(signal.command ? { command: signal.command } : {}),
    ...(signal.errorCodes.length ? { errorCodes: signal.errorCodes } : {}),
    ...(signal.timeoutType ? { timeout: signal.timeoutType } : {}),
    ...(context.host ? { host: context.host, port: context.port } : {}),
    ...(context.proxy ? { proxy: context.proxy } : {}),
    // SMTP AUTH switched off for the tenant or mailbox, or basic auth retired: the route itself is
    // closed, so core's mailer may deliver over the account's fallback route (Graph, Gmail API).
    ...(rule && ROUTE_CLOSED_CODES.has(rule.code) ? { routeClosed: true } : {}),
  };
  const rejected = (error as { rejectedErrors?: unknown } | undefined)?.rejectedErrors;
  if (Array.isArray(rejected)) details.rejected = rejected.map(recipientRejection);
  if (!rule) {
    return new MailplugError({
      code: SmtpErrorCode.Failed,
      action: 'retry',
      message: `Sending over SMTP failed: ${signal.text.trim()}`,
      hint: 'Try again later; if it persists run the connection test (probe) to see which step fails.',
      cause: error,
      details,
    });
  }
  const reply = signal.response ? ` Server replied: ${signal.response}` : '';
  return new MailplugError({
    code: rule.code,
    action: rule.action,
    message: `${rule.message}${reply}`,
    hint: rule.hint,
    cause: error,
    details,
    ...(rule.retryAfterMs !== undefined ? { retryAfterMs: rule.retryAfterMs } : {}),
  });
}

/** One rejected recipient as reported in `SendResult.rejected`. */
export function recipientRejection(error: unknown): {
  address: string;
  code?: number;
  status?: string;
  message: string;
} {
  const signal = smtpFailureSignal(error);
  const recipient =
    typeof error === 'object' && error !== null ? (error as { recipient?: unknown }).recipient : undefined;
  const address = typeof recipient === 'string' ? recipient : '';
  return {
    address,
    ...(signal.replyCode !== undefined ? { code: signal.replyCode } : {}),
    ...(signal.enhancedStatus ? { status: signal.enhancedStatus } : {}),
    message: signal.response ?? signal.text.trim(),
  };
}
