/**
 * Maps what Google (through google-auth-library / gaxios) reports onto MailplugError: who must act,
 * and one sentence that names the fix. Kept in one place so the README's errors table and the
 * tests read from the same list.
 */
import {
  CoreErrorCode,
  type ErrorAction,
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

/** An abort from a request deadline (gaxios `timeout`), anywhere in the cause chain. */
function abortedByDeadline(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const { name, type } = current as { name?: unknown; type?: unknown };
    if (name === 'AbortError' || name === 'TimeoutError' || type === 'aborted') return true;
    current =
      (current as { cause?: unknown; error?: unknown }).cause ?? (current as { error?: unknown }).error;
  }
  return false;
}

/** 408, 429, 5xx, network failures and deadlines: try again later, never "bad credentials". */
export function transientOrUndefined(error: unknown, what: string): MailplugError | undefined {
  const { status } = oauthErrorOf(error);
  const network = transientNetworkCodeOf(error);
  const fetchFailed = error instanceof TypeError && /fetch failed/i.test(error.message);
  // gaxios' `timeout` aborts the request: the error (or its cause) is an AbortError / TimeoutError.
  const timedOut = abortedByDeadline(error);
  if (
    status === 429 ||
    status === 408 ||
    (status !== undefined && status >= 500) ||
    network ||
    fetchFailed ||
    timedOut
  ) {
    const after = retryAfterMs(error);
    return mailplugError(
      CoreErrorCode.Transient,
      'retry',
      `${what} failed for a temporary reason (${status !== undefined ? `HTTP ${status}` : timedOut ? 'no answer in time' : (network ?? 'network error')}).`,
      'Nothing is wrong with the account; Mailplug retries with backoff — if it persists, check network access (and the HTTP proxy) to Google and https://www.google.com/appsstatus.',
      {
        cause: error,
        details: {
          ...(status !== undefined ? { status } : {}),
          ...(network ? { network } : {}),
          ...(timedOut ? { timedOut: true } : {}),
        },
        ...(after !== undefined ? { retryAfterMs: after } : {}),
      },
    );
  }
  return undefined;
}

/** Which Google flow a failure came from; the same OAuth error can need another person to act. */
export type GoogleErrorFlow = 'user' | 'serviceAccount' | 'callback';

/** What a rule's message and hint may name: the account's own facts. */
export interface GoogleErrorFacts {
  readonly mailbox?: string;
  readonly clientId?: string;
  readonly clientEmail?: string;
  /** The account's OAuth consent screen is in "Testing" (7-day refresh tokens). */
  readonly testingMode?: boolean;
}

export interface GoogleErrorRule {
  /** The flows this row applies to. */
  readonly flows: readonly GoogleErrorFlow[];
  /** OAuth `error` values (token endpoint JSON, or the redirect's `error` parameter). */
  readonly oauthErrors: readonly string[];
  /** Matches only when Google's `error_description` matches too. */
  readonly description?: RegExp;
  /** Matches only when the account's Testing-mode setting is as given. */
  readonly testingMode?: boolean;
  readonly code: string;
  readonly action: ErrorAction;
  /** `{mailbox}`, `{clientId}`, `{clientEmail}` are filled in from the account. */
  readonly message: string;
  readonly hint: string;
}

const CREDENTIALS_PAGE = 'Google Cloud console → APIs & Services → Credentials';
const API_CONTROLS =
  'Google Admin console → Security → Access and data control → API controls → Manage third-party app access';
const PUBLISH_APP =
  'Google Cloud console → APIs & Services → OAuth consent screen → Publish app (Audience → "In production")';

/**
 * Google failures → who acts and the fix, first match wins. Outages (408, 429, 5xx, network
 * errors, no answer in time) are classified before this table and are always `retry`.
 */
export const GOOGLE_ERROR_TABLE: readonly GoogleErrorRule[] = Object.freeze([
  {
    flows: ['user'],
    oauthErrors: ['invalid_grant'],
    testingMode: true,
    code: CoreErrorCode.ReauthRequired,
    action: 'user',
    message: 'Google ended the sign-in: the OAuth app is in "Testing", whose sign-ins last 7 days.',
    hint: `Sign in with Google again now; to stop this weekly, an admin should publish the OAuth app (${PUBLISH_APP}) or make it Internal.`,
  },
  {
    flows: ['user'],
    oauthErrors: ['invalid_grant'],
    code: CoreErrorCode.ReauthRequired,
    action: 'user',
    message:
      'Google no longer accepts the saved sign-in (revoked, password changed, or unused for 6 months).',
    hint: `Sign in with Google again; if this recurs every 7 days, the OAuth consent screen is still in "Testing" — an admin should publish the OAuth app (${PUBLISH_APP}) or make it Internal.`,
  },
  {
    flows: ['user', 'callback'],
    oauthErrors: ['invalid_client', 'unauthorized_client', 'deleted_client'],
    code: GmailErrorCode.ClientInvalid,
    action: 'admin',
    message: 'Google rejected the OAuth client.',
    hint: `Check the Client ID and Client secret against ${CREDENTIALS_PAGE} (copy the secret again if it was reset; create a new client if it was deleted).`,
  },
  {
    flows: ['user', 'callback'],
    oauthErrors: ['redirect_uri_mismatch'],
    code: GmailErrorCode.RedirectUriMismatch,
    action: 'admin',
    message: 'The redirect URI is not registered on the Google OAuth client.',
    hint: `Add the redirect URI the host shows to the OAuth client's "Authorized redirect URIs" in ${CREDENTIALS_PAGE}.`,
  },
  {
    flows: ['user', 'callback'],
    oauthErrors: ['invalid_scope'],
    code: CoreErrorCode.ConfigInvalid,
    action: 'developer',
    message: 'Google refused the requested scopes.',
    hint: 'Request only https://mail.google.com/ plus openid and email.',
  },
  {
    flows: ['callback'],
    oauthErrors: ['access_denied'],
    code: CoreErrorCode.SignInDenied,
    action: 'user',
    message: 'Sign-in with Google was cancelled or permission was not given.',
    hint: `Start the sign-in again and allow access, ticking "${GOOGLE_PROVIDER.mailScopeConsentText}".`,
  },
  {
    flows: ['callback', 'user'],
    oauthErrors: ['admin_policy_enforced'],
    code: GmailErrorCode.BlockedByPolicy,
    action: 'admin',
    message: 'A Google Workspace policy blocks this app.',
    hint: `A Google Workspace admin must allow this app under ${API_CONTROLS} (set it to Trusted, or allow the Gmail scope).`,
  },
  {
    flows: ['callback', 'user'],
    oauthErrors: ['org_internal'],
    code: GmailErrorCode.BlockedByPolicy,
    action: 'admin',
    message: 'The OAuth app is Internal to another Google Workspace organization.',
    hint: "Sign in with an account of the organization that owns the app, or an admin sets the app's audience to External (Google Cloud console → APIs & Services → OAuth consent screen → Audience).",
  },
  {
    flows: ['callback'],
    oauthErrors: ['disallowed_useragent'],
    code: GmailErrorCode.BlockedByPolicy,
    action: 'developer',
    message: 'Google refuses sign-in inside an embedded web view.',
    hint: "Open the sign-in URL in the system browser (or the loopback flow), not inside the host's embedded web view.",
  },
  {
    flows: ['serviceAccount'],
    oauthErrors: ['unauthorized_client', 'access_denied'],
    code: GmailErrorCode.DelegationNotConfigured,
    action: 'admin',
    message:
      'The service account may not act for {mailbox}: domain-wide delegation is not set up for the mail scope.',
    hint: `In the Google Admin console go to Security → API controls → Domain-wide delegation → Add new, enter client ID {clientId} with scope ${GMAIL_MAIL_SCOPE}, then wait a few minutes.`,
  },
  {
    flows: ['serviceAccount'],
    oauthErrors: ['invalid_grant', 'invalid_client'],
    description: /email|user|subject|sub\b/i,
    code: GmailErrorCode.ServiceAccountRejected,
    action: 'admin',
    message: 'Google does not know the mailbox {mailbox} the service account acts for.',
    hint: 'Check that {mailbox} is an existing user of the Workspace domain that granted the delegation (Google Admin console → Directory → Users).',
  },
  {
    flows: ['serviceAccount'],
    oauthErrors: ['invalid_grant', 'invalid_client'],
    code: GmailErrorCode.ServiceAccountRejected,
    action: 'admin',
    message:
      'Google rejected the service account {clientEmail} (its key was deleted or the account disabled).',
    hint: 'Create a new JSON key for the service account (Google Cloud console → IAM & Admin → Service accounts → Keys → Add key) and store it in the secret store; check the account is enabled.',
  },
]);

function fill(text: string, facts: GoogleErrorFacts): string {
  return text
    .replaceAll('{mailbox}', facts.mailbox ?? 'the mailbox')
    .replaceAll('{clientId}', facts.clientId ?? '(the "client_id" of the key file)')
    .replaceAll('{clientEmail}', facts.clientEmail ?? '')
    .replace(/ {2,}/g, ' ');
}

/** The table row for an OAuth error in a flow, or undefined. */
export function findGoogleErrorRule(
  flow: GoogleErrorFlow,
  oauthError: string | undefined,
  description?: string,
  facts: GoogleErrorFacts = {},
): GoogleErrorRule | undefined {
  if (!oauthError) return undefined;
  return GOOGLE_ERROR_TABLE.find(
    (rule) =>
      rule.flows.includes(flow) &&
      rule.oauthErrors.includes(oauthError) &&
      (rule.description === undefined || (description !== undefined && rule.description.test(description))) &&
      (rule.testingMode === undefined || rule.testingMode === (facts.testingMode === true)),
  );
}

function fromRule(
  rule: GoogleErrorRule,
  facts: GoogleErrorFacts,
  failure: { oauthError: string; description?: string | undefined; cause?: unknown },
): MailplugError {
  const said = failure.description
    ? ` (${failure.oauthError}: ${failure.description})`
    : ` (${failure.oauthError})`;
  return mailplugError(
    rule.code,
    rule.action,
    `${fill(rule.message, facts).replace(/\.$/, '')}${said}.`,
    fill(rule.hint, facts),
    {
      ...(failure.cause !== undefined ? { cause: failure.cause } : {}),
      details: {
        oauthError: failure.oauthError,
        ...(facts.clientId && rule.code === GmailErrorCode.DelegationNotConfigured
          ? { clientId: facts.clientId }
          : {}),
      },
    },
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
 * Classifies a failure of the user OAuth client (code exchange, refresh, revoke, userinfo).
 * MailplugErrors pass through unchanged.
 */
export function classifyUserOAuthError(
  error: unknown,
  what = 'The request to Google',
  facts: GoogleErrorFacts = {},
): MailplugError {
  if (isMailplugError(error)) return error;
  const transient = transientOrUndefined(error, what);
  if (transient) return transient;
  const { error: oauthError, description, status } = oauthErrorOf(error);
  const rule = findGoogleErrorRule('user', oauthError, description, facts);
  if (rule && oauthError) return fromRule(rule, facts, { oauthError, description, cause: error });
  return mailplugError(
    GmailErrorCode.SignInFailed,
    'admin',
    `${what} failed${oauthError ? ` (${oauthError}${description ? `: ${description}` : ''})` : status ? ` (HTTP ${status})` : ''}.`,
    `Check the Google OAuth client in ${CREDENTIALS_PAGE} and, with overridden endpoints, their URLs; the cause has the details.`,
    { cause: error, details: { ...(oauthError ? { oauthError } : {}), ...(status ? { status } : {}) } },
  );
}

/** Maps the `error` query parameter Google sends back to the redirect URI. */
export function classifyCallbackError(
  params: { error: string; error_description?: string | undefined },
  facts: GoogleErrorFacts = {},
): MailplugError {
  const { error, error_description: description } = params;
  const rule = findGoogleErrorRule('callback', error, description, facts);
  if (rule) return fromRule(rule, facts, { oauthError: error, description });
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
  const transient = transientOrUndefined(error, 'The service account token request');
  if (transient) return transient;
  const { error: oauthError, description } = oauthErrorOf(error);
  const rule = findGoogleErrorRule('serviceAccount', oauthError, description, context);
  if (rule && oauthError) return fromRule(rule, context, { oauthError, description, cause: error });
  return mailplugError(
    GmailErrorCode.ServiceAccountRejected,
    'admin',
    `The service account token request failed${oauthError ? ` (${oauthError})` : ''}.`,
    'Check the service account key (Google Cloud console → IAM & Admin → Service accounts) and the token URL; the cause has the details.',
    { cause: error, details: { ...(oauthError ? { oauthError } : {}) } },
  );
}
