/**
 * Maps what Google (through google-auth-library / gaxios) reports onto MailplugError: who must act,
 * and one sentence that names the fix. Kept in one place so the README's errors table and the
 * tests read from the same list.
 */
import {
  CoreErrorCode,
  isMailplugError,
  type MailplugError,
  mailplugError,
  transientNetworkCodeOf,
} from '@mailplug/core';
import { GMAIL_MAIL_SCOPE, GOOGLE_PROVIDER } from './provider-data.js';

/** Codes this package adds to core's table. They never change meaning once published. */
export const GmailErrorCode = {
  /** Granular consent: the user left the Gmail box unticked. */
  ScopeNotGranted: 'GMAIL_SCOPE_NOT_GRANTED',
  /** Client id or secret wrong, or the OAuth client was deleted. */
  ClientInvalid: 'GMAIL_CLIENT_INVALID',
  /** The redirect URI is not registered on the OAuth client. */
  RedirectUriMismatch: 'GMAIL_REDIRECT_URI_MISMATCH',
  /** Google answered without a refresh token. */
  RefreshTokenMissing: 'GMAIL_REFRESH_TOKEN_MISSING',
  /** The ID token failed verification (issuer, audience, signature, expiry). */
  IdTokenInvalid: 'GMAIL_ID_TOKEN_INVALID',
  /** The authorization code was rejected (expired, used twice, wrong PKCE verifier). */
  CodeRejected: 'GMAIL_CODE_REJECTED',
  /** Sign-in failed at Google for a reason other than denial. */
  SignInFailed: 'GMAIL_SIGN_IN_FAILED',
  /** The user signed in with another Google account than the configured mailbox. */
  WrongAccount: 'GMAIL_WRONG_ACCOUNT',
  /** A Workspace policy blocks the app (admin_policy_enforced, org_internal). */
  BlockedByPolicy: 'GMAIL_BLOCKED_BY_POLICY',
  /** Domain-wide delegation is missing for the service account (or the mail scope on it). */
  DelegationNotConfigured: 'GOOGLE_DWD_NOT_CONFIGURED',
  /** The service account key JSON is malformed or lacks a field. */
  ServiceAccountKeyInvalid: 'GOOGLE_SERVICE_ACCOUNT_KEY_INVALID',
  /** Google rejected the service account's signed assertion (key deleted, disabled account, unknown mailbox). */
  ServiceAccountRejected: 'GOOGLE_SERVICE_ACCOUNT_REJECTED',
} as const;

export type GmailErrorCode = (typeof GmailErrorCode)[keyof typeof GmailErrorCode];

/** What gaxios puts on an error for an HTTP answer; every field optional because errors vary. */
interface HttpishError {
  readonly message?: string;
  readonly code?: string | number;
  readonly status?: number;
  readonly response?: {
    readonly status?: number;
    readonly data?: unknown;
    readonly headers?: { get?(name: string): string | null } | Record<string, string>;
  };
  readonly cause?: unknown;
}

/** The OAuth `error` and `error_description` of a failed token/revoke call, when there is one. */
export function oauthErrorOf(error: unknown): { error?: string; description?: string; status?: number } {
  const e = (error ?? {}) as HttpishError;
  const status = e.response?.status ?? e.status;
  let data = e.response?.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      // Not JSON: keep the status only.
    }
  }
  if (data && typeof data === 'object') {
    const d = data as { error?: unknown; error_description?: unknown };
    if (typeof d.error === 'string') {
      return {
        error: d.error,
        ...(typeof d.error_description === 'string' ? { description: d.error_description } : {}),
        ...(status !== undefined ? { status } : {}),
      };
    }
    // Google APIs wrap errors as { error: { code, message, status } }.
    if (d.error && typeof d.error === 'object') {
      const inner = d.error as { status?: unknown; message?: unknown };
      return {
        ...(typeof inner.status === 'string' ? { error: inner.status } : {}),
        ...(typeof inner.message === 'string' ? { description: inner.message } : {}),
        ...(status !== undefined ? { status } : {}),
      };
    }
  }
  return status !== undefined ? { status } : {};
}

function retryAfterMs(error: unknown): number | undefined {
  const headers = (error as HttpishError | undefined)?.response?.headers;
  if (!headers) return undefined;
  const raw =
    typeof (headers as { get?: unknown }).get === 'function'
      ? (headers as { get(name: string): string | null }).get('retry-after')
      : (headers as Record<string, string>)['retry-after'];
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** 429, 5xx and network failures: try again later, never "bad credentials". */
export function transientOrUndefined(error: unknown, what: string): MailplugError | undefined {
  const { status } = oauthErrorOf(error);
  const network = transientNetworkCodeOf(error);
  const fetchFailed = error instanceof TypeError && /fetch failed/i.test(error.message);
  if (status === 429 || status === 408 || (status !== undefined && status >= 500) || network || fetchFailed) {
    const after = retryAfterMs(error);
    return mailplugError(
      CoreErrorCode.Transient,
      'retry',
      `${what} failed for a temporary reason (${status !== undefined ? `HTTP ${status}` : (network ?? 'network error')}).`,
      'Nothing is wrong with the account; Mailplug retries with backoff — check network access to Google if it persists.',
      {
        cause: error,
        details: { ...(status !== undefined ? { status } : {}), ...(network ? { network } : {}) },
        ...(after !== undefined ? { retryAfterMs: after } : {}),
      },
    );
  }
  return undefined;
}

export function reauthRequired(cause: unknown, description?: string): MailplugError {
  return mailplugError(
    CoreErrorCode.ReauthRequired,
    'user',
    `Google no longer accepts the saved sign-in${description ? ` (${description})` : ''}.`,
    'Sign in with Google again; if this recurs every 7 days, the OAuth consent screen is still in "Testing" — an admin should publish the app (set it to "In production") or make it Internal.',
    { cause, details: { oauthError: 'invalid_grant' } },
  );
}

export function clientInvalid(cause: unknown, description?: string): MailplugError {
  return mailplugError(
    GmailErrorCode.ClientInvalid,
    'admin',
    `Google rejected the OAuth client${description ? ` (${description})` : ''}.`,
    'Check the Client ID and Client secret against Google Cloud console → APIs & Services → Credentials (copy the secret again if it was reset).',
    { cause, details: { oauthError: 'invalid_client' } },
  );
}

export function scopeNotGranted(granted: readonly string[]): MailplugError {
  return mailplugError(
    GmailErrorCode.ScopeNotGranted,
    'user',
    'Google sign-in finished without permission to use Gmail.',
    `Sign in again and tick "${GOOGLE_PROVIDER.mailScopeConsentText}" on Google's consent screen.`,
    { details: { requiredScope: GMAIL_MAIL_SCOPE, grantedScopes: [...granted] } },
  );
}

/**
 * Classifies a failure of the user OAuth client (code exchange, refresh, revoke). MailplugErrors
 * pass through unchanged.
 */
export function classifyUserOAuthError(error: unknown, what = 'The request to Google'): MailplugError {
  if (isMailplugError(error)) return error;
  const { error: oauthError, description, status } = oauthErrorOf(error);
  switch (oauthError) {
    case 'invalid_grant':
      return reauthRequired(error, description);
    case 'invalid_client':
    case 'unauthorized_client':
    case 'deleted_client':
      return clientInvalid(error, description);
    case 'redirect_uri_mismatch':
      return mailplugError(
        GmailErrorCode.RedirectUriMismatch,
        'admin',
        'The redirect URI is not registered on the Google OAuth client.',
        'Add the redirect URI the host shows to the OAuth client\'s "Authorized redirect URIs" in Google Cloud console.',
        { cause: error, details: { oauthError } },
      );
    case 'invalid_scope':
      return mailplugError(
        CoreErrorCode.ConfigInvalid,
        'developer',
        `Google refused the requested scopes${description ? ` (${description})` : ''}.`,
        'Request only https://mail.google.com/ plus openid and email.',
        { cause: error, details: { oauthError } },
      );
    default:
      break;
  }
  const transient = transientOrUndefined(error, what);
  if (transient) return transient;
  return mailplugError(
    GmailErrorCode.SignInFailed,
    'admin',
    `${what} failed${oauthError ? ` (${oauthError}${description ? `: ${description}` : ''})` : status ? ` (HTTP ${status})` : ''}.`,
    'Check the Google OAuth client settings and the endpoint URLs; the cause has the details.',
    { cause: error, details: { ...(oauthError ? { oauthError } : {}), ...(status ? { status } : {}) } },
  );
}

/** Maps the `error` query parameter Google sends back to the redirect URI. */
export function classifyCallbackError(params: {
  error: string;
  error_description?: string | undefined;
}): MailplugError {
  const { error, error_description: description } = params;
  if (error === 'access_denied') {
    return mailplugError(
      CoreErrorCode.SignInDenied,
      'user',
      'Sign-in with Google was cancelled or permission was not given.',
      `Start the sign-in again and allow access, ticking "${GOOGLE_PROVIDER.mailScopeConsentText}".`,
      { details: { oauthError: error } },
    );
  }
  if (error === 'admin_policy_enforced' || error === 'org_internal' || error === 'disallowed_useragent') {
    return mailplugError(
      GmailErrorCode.BlockedByPolicy,
      'admin',
      `Google blocked the sign-in (${error}).`,
      error === 'org_internal'
        ? 'The OAuth consent screen is Internal: sign in with an account of the same Workspace organization, or make the app External.'
        : 'A Google Workspace admin must allow this app under Admin console → Security → API controls → App access control.',
      { details: { oauthError: error } },
    );
  }
  if (error === 'redirect_uri_mismatch' || error === 'invalid_client' || error === 'unauthorized_client') {
    return classifyUserOAuthError(
      { response: { data: { error, error_description: description } } },
      'Sign-in',
    );
  }
  return mailplugError(
    GmailErrorCode.SignInFailed,
    'user',
    `Google reported a sign-in error (${error}${description ? `: ${description}` : ''}).`,
    'Start the sign-in again; if it keeps failing, an admin should check the OAuth client and consent screen.',
    { details: { oauthError: error } },
  );
}

/**
 * Classifies a failure of the JWT bearer grant of a service account. `invalid_grant` here is never
 * a "sign in again" — nobody signs in — so it goes to the admin.
 */
export function classifyServiceAccountError(
  error: unknown,
  context: { clientId?: string; clientEmail?: string; mailbox: string },
): MailplugError {
  if (isMailplugError(error)) return error;
  const { error: oauthError, description } = oauthErrorOf(error);
  if (oauthError === 'unauthorized_client' || oauthError === 'access_denied') {
    return mailplugError(
      GmailErrorCode.DelegationNotConfigured,
      'admin',
      `The service account may not act for ${context.mailbox}: domain-wide delegation is not set up for the mail scope.`,
      `In the Google Admin console go to Security → API controls → Domain-wide delegation → Add new, enter client ID ${context.clientId ?? '(the "client_id" of the key file)'} with scope ${GMAIL_MAIL_SCOPE}, then wait a few minutes.`,
      { cause: error, details: { oauthError, ...(context.clientId ? { clientId: context.clientId } : {}) } },
    );
  }
  if (oauthError === 'invalid_grant' || oauthError === 'invalid_client') {
    const unknownUser = description !== undefined && /email|user|subject|sub\b/i.test(description);
    return mailplugError(
      GmailErrorCode.ServiceAccountRejected,
      'admin',
      `Google rejected the service account ${context.clientEmail ?? ''} (${oauthError}${description ? `: ${description}` : ''}).`.replace(
        '  ',
        ' ',
      ),
      unknownUser
        ? `Check that ${context.mailbox} is an existing user of the Workspace domain that granted the delegation.`
        : 'Create a new JSON key for the service account in Google Cloud console (the key may have been deleted or the account disabled) and store it in the secret store.',
      { cause: error, details: { oauthError } },
    );
  }
  const transient = transientOrUndefined(error, 'The service account token request');
  if (transient) return transient;
  return mailplugError(
    GmailErrorCode.ServiceAccountRejected,
    'admin',
    `The service account token request failed${oauthError ? ` (${oauthError})` : ''}.`,
    'Check the service account key and the token URL; the cause has the details.',
    { cause: error, details: { ...(oauthError ? { oauthError } : {}) } },
  );
}
