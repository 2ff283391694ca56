import type { MailplugError, RecipientRejection } from '@mailplug/core';
import { answerErrors, type HttpResponse, retryAfterMs } from '@mailplug/http-send';

/** Error codes this package raises (documented in the README; never change meaning). */
export const GmailApiErrorCode = {
  ScopeMissing: 'GMAIL_API_SCOPE_MISSING',
  MailServiceDisabled: 'GMAIL_API_MAIL_SERVICE_DISABLED',
  NoMailbox: 'GMAIL_API_NO_MAILBOX',
  DelegationDenied: 'GMAIL_API_DELEGATION_DENIED',
  TokenRejected: 'GMAIL_API_TOKEN_REJECTED',
  RecipientsRejected: 'GMAIL_API_RECIPIENTS_REJECTED',
  InvalidMessage: 'GMAIL_API_INVALID_MESSAGE',
  MessageTooLarge: 'MESSAGE_TOO_LARGE',
  RateLimited: 'GMAIL_API_RATE_LIMITED',
  Unavailable: 'GMAIL_API_UNAVAILABLE',
  CredentialUnsupported: 'GMAIL_API_CREDENTIAL_UNSUPPORTED',
  Timeout: 'GMAIL_API_TIMEOUT',
  ConnectionFailed: 'GMAIL_API_CONNECTION_FAILED',
  TlsFailed: 'GMAIL_API_TLS_FAILED',
  ProxyFailed: 'GMAIL_API_PROXY_FAILED',
  ConnectionClosed: 'GMAIL_API_CONNECTION_CLOSED',
  Failed: 'GMAIL_API_FAILED',
} as const;
export type GmailApiErrorCode = (typeof GmailApiErrorCode)[keyof typeof GmailApiErrorCode];

/** The scope this protocol asks for: sensitive, not restricted. */
export const GMAIL_SEND_SCOPE = 'https://www.googleapis.com/auth/gmail.send';

/** Scopes Google accepts for `users.messages.send` (the narrowest first). */
export const GMAIL_API_SEND_SCOPES: readonly string[] = Object.freeze([
  GMAIL_SEND_SCOPE,
  'https://www.googleapis.com/auth/gmail.compose',
  'https://www.googleapis.com/auth/gmail.modify',
  'https://mail.google.com/',
]);

export interface GmailRequestContext {
  readonly mailbox: string;
  /** The scopes the credential says it carries. */
  readonly scopes: readonly string[];
}

interface GoogleErrorBody {
  readonly reason?: string;
  readonly message?: string;
  readonly status?: string;
}

/** `{ error: { code, message, errors: [{ reason }], status } }`, or nothing when the body is not Google's. */
export function readGoogleError(response: HttpResponse): GoogleErrorBody {
  try {
    const parsed = JSON.parse(response.text) as {
      error?: { message?: unknown; status?: unknown; errors?: { reason?: unknown }[] };
    };
    const error = parsed?.error;
    const reason = error?.errors?.[0]?.reason;
    return {
      ...(typeof reason === 'string' ? { reason } : {}),
      ...(typeof error?.message === 'string' ? { message: error.message } : {}),
      ...(typeof error?.status === 'string' ? { status: error.status } : {}),
    };
  } catch {
    return {};
  }
}

/** Gmail's sending-limit messages carry the time to retry after: "… Retry after 2026-12-05T10:00:00.000Z". */
function retryAfterFromMessage(message: string, now: number = Date.now()): number | undefined {
  const at = /Retry after (\d{4}-\d{2}-\d{2}T[\d:.]+Z)/i.exec(message)?.[1];
  if (!at) return undefined;
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? undefined : Math.max(0, ms - now);
}

const RATE_REASONS = new Set([
  'rateLimitExceeded',
  'userRateLimitExceeded',
  'dailyLimitExceeded',
  'quotaExceeded',
]);

/** The Gmail API answer `response` (never a 2xx) as a MailplugError with the fix. */
export function classifyGmailResponse(response: HttpResponse, ctx: GmailRequestContext): MailplugError {
  const body = readGoogleError(response);
  const reason = body.reason ?? '';
  const googleMessage = body.message ?? '';
  const status = response.status;
  const details: Record<string, unknown> = {
    status,
    ...(reason ? { reason } : {}),
    ...(googleMessage ? { googleMessage } : {}),
    mailbox: ctx.mailbox,
  };
  const wait = retryAfterMs(response.headers.get('retry-after')) ?? retryAfterFromMessage(googleMessage);
  const make = answerErrors<GmailApiErrorCode>(details, wait);

  if (status === 429 || RATE_REASONS.has(reason)) {
    return make(
      GmailApiErrorCode.RateLimited,
      'retry',
      `The Gmail API is rate-limiting ${ctx.mailbox} (${reason || status})${wait !== undefined ? `; retry in ${Math.ceil(wait / 1000)} s` : ''}.`,
      'Send again later with backoff; a user over Gmail’s daily sending limit can send again after the time Google names (at most 24 hours).',
      { mayHaveBeenDelivered: false },
    );
  }
  // An outage is an outage whatever else the answer names: nobody has a setting to fix.
  if (status >= 500 || status === 408) {
    return make(
      GmailApiErrorCode.Unavailable,
      'retry',
      `The Gmail API is unavailable (${status}${reason ? ` ${reason}` : ''}).`,
      'Send again later; the message was not confirmed, so check the Sent folder first if it must go out once.',
      { mayHaveBeenDelivered: status === 500 || status === 504 },
    );
  }
  if (
    reason === 'insufficientPermissions' ||
    (status === 403 && /insufficient.*scope/i.test(googleMessage))
  ) {
    return make(
      GmailApiErrorCode.ScopeMissing,
      'admin',
      `The Google token for ${ctx.mailbox} does not allow sending through the Gmail API (it has: ${ctx.scopes.join(' ') || 'no scopes named'}).`,
      `Add ${GMAIL_SEND_SCOPE} to the scopes the account requests (Google Cloud console → OAuth consent screen → Data access; for a service account, to its domain-wide delegation in the Admin console) and sign in again granting it.`,
      { routeClosed: true },
    );
  }
  if (reason === 'failedPrecondition' || (status === 400 && body.status === 'FAILED_PRECONDITION')) {
    if (/mail service not enabled/i.test(googleMessage)) {
      return make(
        GmailApiErrorCode.MailServiceDisabled,
        'admin',
        `Gmail is not enabled for ${ctx.mailbox}.`,
        `In the Google Admin console open Apps → Google Workspace → Gmail → Service status and turn Gmail on for the organizational unit of ${ctx.mailbox} (and check it has a Workspace license).`,
        { routeClosed: true },
      );
    }
    return make(
      GmailApiErrorCode.NoMailbox,
      'admin',
      `The Gmail API found no mailbox for this token (${googleMessage || 'precondition failed'}).`,
      'For a service account set the user to act as (the subject) and allow gmail.send for the service account’s client ID under domain-wide delegation in the Google Admin console.',
    );
  }
  if (status === 403 && (reason === 'forbidden' || /delegation denied/i.test(googleMessage))) {
    return make(
      GmailApiErrorCode.DelegationDenied,
      'admin',
      `The Google token may not send as ${ctx.mailbox} (${googleMessage || 'forbidden'}).`,
      `Sign in as ${ctx.mailbox} itself, or for a service account impersonate ${ctx.mailbox} through domain-wide delegation.`,
    );
  }
  if (status === 401 || reason === 'authError') {
    return make(
      GmailApiErrorCode.TokenRejected,
      'user',
      'The Gmail API refused the access token, also after a fresh one was requested.',
      `Sign in to ${ctx.mailbox} again (a service account: check its key and domain-wide delegation).`,
    );
  }
  if (status === 413) {
    return make(
      GmailApiErrorCode.MessageTooLarge,
      'developer',
      'The Gmail API refused the message as too large.',
      'Keep messages under Gmail’s 35 MB upload limit (25 MB of attachments is what Gmail delivers); send larger files as links.',
    );
  }
  if (reason === 'invalidArgument' || reason === 'badRequest' || reason === 'invalid' || status === 400) {
    if (/Invalid (To|Cc|Bcc) header|Recipient address required/i.test(googleMessage)) {
      const rejected: RecipientRejection[] = [];
      return make(
        GmailApiErrorCode.RecipientsRejected,
        'user',
        `The Gmail API refused the message: ${googleMessage}.`,
        'Check the recipient addresses in To, Cc and Bcc; Gmail sends to all of them or none.',
        { rejected },
      );
    }
    return make(
      GmailApiErrorCode.InvalidMessage,
      'developer',
      `The Gmail API refused the message: ${googleMessage || reason || status}.`,
      'A header of the message is not acceptable to Gmail (From, Date, Message-ID or the encoding); report it with details.googleMessage.',
    );
  }
  if (status === 407) {
    return make(
      GmailApiErrorCode.ProxyFailed,
      'admin',
      'The HTTP proxy refused the request to the Gmail API (407 Proxy Authentication Required).',
      'Put the proxy credentials in the proxy URL (http://user:password@host:port) or allow Gmail API traffic through the proxy.',
    );
  }
  return make(
    GmailApiErrorCode.Failed,
    'retry',
    `The Gmail API answered HTTP ${status}${reason ? ` (${reason})` : ' without a Google error (a proxy or gateway may have answered)'}.`,
    'Send again later; if it persists, check the proxy or firewall between this server and gmail.googleapis.com.',
    { mayHaveBeenDelivered: false },
  );
}
