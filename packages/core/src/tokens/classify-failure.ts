import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import { TRANSIENT_NETWORK_CODES } from '../session/network-failure.js';
import { isMailplugError, type MailplugError } from '../spec/v1/mailplug-error.js';

/** TLS failures: a proxy intercepting traffic or a wrong CA bundle — an admin must fix the machine. */
const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_TLS_CERT|ERR_SSL)/;

const REAUTH_OAUTH_ERRORS = new Set([
  'invalid_grant',
  'interaction_required',
  'login_required',
  'consent_required',
]);
const ADMIN_OAUTH_ERRORS = new Set(['invalid_client', 'unauthorized_client']);
const TRANSIENT_OAUTH_ERRORS = new Set(['temporarily_unavailable', 'server_error', 'slow_down']);
const OAUTH_ERROR_IN_TEXT =
  /\b(invalid_grant|invalid_client|unauthorized_client|interaction_required|login_required|consent_required|invalid_scope|access_denied|temporarily_unavailable|server_error)\b/;

interface FailureFacts {
  status?: number | undefined;
  oauthError?: string | undefined;
  networkCode?: string | undefined;
  timeout?: boolean;
  retryAfterMs?: number | undefined;
  aadsts?: string | undefined;
  description?: string | undefined;
  message: string;
}

/**
 * Signals a generic classifier can recognise by AADSTS number or error text, checked before the
 * OAuth error value: the OAuth value alone sends these to the wrong person (a tenant that does not
 * exist is `invalid_request`, a Conditional Access block is `interaction_required`, a skewed clock
 * is `invalid_client`). One row per signal; providers with a richer table (microsoft-identity)
 * classify first.
 */
interface SignalRow {
  readonly aadsts?: readonly string[];
  readonly text?: RegExp;
  readonly code: string;
  readonly action: 'user' | 'admin' | 'retry' | 'developer';
  readonly message: string;
  readonly hint: string;
}

const SIGNALS: readonly SignalRow[] = Object.freeze([
  {
    aadsts: ['90002', '90023'],
    text: /\btenant\b.*\bnot (?:be )?found\b/i,
    code: CoreErrorCode.ConfigInvalid,
    action: 'admin',
    message: 'The identity provider does not know the configured tenant.',
    hint: 'Check the tenant id or domain in the account settings (Entra admin center → Overview → Tenant ID).',
  },
  {
    aadsts: ['53003', '53000', '53001', '530032'],
    text: /conditional access/i,
    code: CoreErrorCode.AccessBlockedByPolicy,
    action: 'admin',
    message: 'A Conditional Access or device policy blocked the sign-in; signing in again cannot fix it.',
    hint: 'An admin must allow this app or sign-in in the policy (Entra admin center → Protection → Conditional Access → the policy named in the sign-in logs).',
  },
  {
    aadsts: ['700024'],
    text: /(?:assertion|jwt).*(?:not within its valid time range|issued in the future|expired)|\bclock skew\b/i,
    code: CoreErrorCode.ClockSkew,
    action: 'admin',
    message: "The identity provider refused the app's signed assertion because of its time stamps.",
    hint: "Check this server's clock (enable NTP time synchronisation); the secret or certificate is not the problem.",
  },
  {
    aadsts: ['65001'],
    code: CoreErrorCode.ReauthRequired,
    action: 'user',
    message: 'The app now needs a permission the user has not consented to.',
    hint: 'Sign in to the mail account again and accept the permissions; if users may not consent, an admin grants consent for the organization.',
  },
]);

function matchSignal(facts: FailureFacts): SignalRow | undefined {
  for (const row of SIGNALS) {
    if (facts.aadsts && row.aadsts?.includes(facts.aadsts)) return row;
  }
  for (const row of SIGNALS) {
    if (row.text?.test(facts.message) || (facts.description && row.text?.test(facts.description))) return row;
  }
  return undefined;
}

const RETRY_HINT =
  'Mailplug retries automatically; if it keeps failing, check the identity provider host name and that this machine can reach it (DNS, proxy, firewall).';

/**
 * The generic default for {@link TokenManagerOptions.classify}: maps anything a refresh can throw
 * (fetch/undici errors, gaxios, msal `ServerError`, plain OAuth error bodies) onto a MailplugError.
 *
 * - HTTP 408/429/5xx (whatever the body: JSON, text or a proxy's HTML), network resets, DNS
 *   failures and timeouts, AbortError/TimeoutError, OAuth `temporarily_unavailable` → TRANSIENT
 *   (retry; `Retry-After` honoured). Never "bad credentials".
 * - Signals the OAuth error alone would misroute (tenant not found, Conditional Access, clock skew,
 *   consent needed on refresh) → their own row in `SIGNALS`, with the concrete fix.
 * - OAuth `invalid_grant` (and `interaction_required`, `login_required`, `consent_required`) →
 *   REAUTH_REQUIRED (user).
 * - `invalid_client`, `unauthorized_client`, HTTP 401/403 and TLS certificate failures →
 *   CONFIG_INVALID (admin).
 * - `invalid_scope` → CONFIG_INVALID (developer); `access_denied` → SIGN_IN_DENIED (user).
 * - anything else → TOKEN_REFRESH_FAILED (developer). A MailplugError is returned unchanged.
 *
 * @example
 * const manager = createTokenManager({ ..., classify: (e) => myAadstsMapping(e) ?? classifyFailure(e) });
 */
export function classifyFailure(error: unknown): MailplugError {
  if (isMailplugError(error)) return error;
  const facts = collectFacts(error);
  const details: Record<string, unknown> = {};
  if (facts.status !== undefined) details.httpStatus = facts.status;
  if (facts.oauthError) details.oauthError = facts.oauthError;
  if (facts.networkCode) details.networkCode = facts.networkCode;
  if (facts.aadsts) details.aadsts = facts.aadsts;
  const extra = { cause: error, details };
  const oauth = facts.oauthError;

  const signal = matchSignal(facts);
  if (signal) return mailplugError(signal.code, signal.action, signal.message, signal.hint, extra);

  if (oauth && REAUTH_OAUTH_ERRORS.has(oauth)) {
    return mailplugError(
      CoreErrorCode.ReauthRequired,
      'user',
      `The saved sign-in is no longer accepted (${oauth}): it expired, was revoked, or the password or policy changed.`,
      'Sign in to the mail account again.',
      extra,
    );
  }
  if (oauth && ADMIN_OAUTH_ERRORS.has(oauth)) {
    return mailplugError(
      CoreErrorCode.ConfigInvalid,
      'admin',
      `The identity provider rejected the app registration (${oauth}).`,
      "Check the client id, the client secret or certificate, and the app's permissions in the identity provider's admin console.",
      extra,
    );
  }
  if (oauth === 'invalid_scope') {
    return mailplugError(
      CoreErrorCode.ConfigInvalid,
      'developer',
      'The identity provider rejected the requested scopes (invalid_scope).',
      'Request only scopes of one resource that the app registration is allowed to use.',
      extra,
    );
  }
  if (oauth === 'access_denied') {
    return mailplugError(
      CoreErrorCode.SignInDenied,
      'user',
      'The identity provider denied access (access_denied).',
      'Sign in again and accept the requested permissions, or ask an admin to grant consent.',
      extra,
    );
  }
  const isTransientStatus =
    facts.status !== undefined && (facts.status === 408 || facts.status === 429 || facts.status >= 500);
  const isTransientNetwork =
    facts.networkCode !== undefined && TRANSIENT_NETWORK_CODES.has(facts.networkCode);
  if (
    isTransientStatus ||
    isTransientNetwork ||
    facts.timeout ||
    (oauth && TRANSIENT_OAUTH_ERRORS.has(oauth))
  ) {
    const what =
      facts.status !== undefined
        ? `HTTP ${facts.status}`
        : (facts.networkCode ?? (facts.timeout ? 'timed out' : (oauth ?? 'unavailable')));
    return mailplugError(
      CoreErrorCode.Transient,
      'retry',
      `The identity provider could not be reached or is temporarily unavailable (${what}).`,
      RETRY_HINT,
      { ...extra, ...(facts.retryAfterMs !== undefined ? { retryAfterMs: facts.retryAfterMs } : {}) },
    );
  }
  if (facts.networkCode && TLS_CODES.test(facts.networkCode)) {
    return mailplugError(
      CoreErrorCode.ConfigInvalid,
      'admin',
      `The TLS connection to the identity provider failed (${facts.networkCode}).`,
      'Check the proxy and CA certificates of this machine (NODE_EXTRA_CA_CERTS) so the provider certificate verifies.',
      extra,
    );
  }
  if (facts.status === 401 || facts.status === 403) {
    return mailplugError(
      CoreErrorCode.ConfigInvalid,
      'admin',
      `The identity provider refused the app's token request (HTTP ${facts.status}).`,
      "Check the client credentials and the app's permissions in the identity provider's admin console.",
      extra,
    );
  }
  return mailplugError(
    CoreErrorCode.TokenRefreshFailed,
    'developer',
    `Token refresh failed unexpectedly: ${facts.message || 'unknown error'}.`,
    'Report this with the error code and details; the provider adapter or host code needs to handle this case.',
    extra,
  );
}

function collectFacts(error: unknown): FailureFacts {
  const facts: FailureFacts = { message: '' };
  const seen = new Set<unknown>();
  let current: unknown = error;
  // Walk the cause chain: fetch() wraps undici errors as TypeError('fetch failed', { cause }).
  for (let depth = 0; depth < 4 && current != null && !seen.has(current); depth++) {
    seen.add(current);
    absorb(facts, current);
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
  }
  return facts;
}

function absorb(facts: FailureFacts, value: unknown): void {
  if (typeof value === 'string') {
    facts.message ||= value;
    facts.oauthError ??= OAUTH_ERROR_IN_TEXT.exec(value)?.[1];
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const v = value as Record<string, unknown>;
  const response = (isObject(v.response) ? v.response : undefined) as Record<string, unknown> | undefined;
  const body = firstObject(response?.data, v.data, v.body);

  const message = typeof v.message === 'string' ? v.message : '';
  facts.message ||= message;
  facts.status ??= firstStatus(v.status, v.statusCode, v.httpStatus, response?.status, response?.statusCode);

  const oauthError = firstString(v.error, v.errorCode, body?.error);
  if (oauthError && /^[a-z_]+$/.test(oauthError)) facts.oauthError ??= oauthError;
  const description = firstString(v.error_description, v.errorMessage, body?.error_description);
  if (description) facts.description ??= description;
  facts.oauthError ??= OAUTH_ERROR_IN_TEXT.exec(`${message} ${description ?? ''}`)?.[1];
  facts.aadsts ??= /AADSTS(\d+)/.exec(`${message} ${description ?? ''}`)?.[1];

  const code = v.code;
  if (typeof code === 'string') {
    if (/^\d{3}$/.test(code)) facts.status ??= Number(code);
    else facts.networkCode ??= code;
  }
  const name = typeof v.name === 'string' ? v.name : '';
  if (name === 'AbortError' || name === 'TimeoutError' || code === 'ABORT_ERR' || code === 23)
    facts.timeout = true;

  if (typeof v.retryAfterMs === 'number') facts.retryAfterMs ??= v.retryAfterMs;
  facts.retryAfterMs ??= parseRetryAfter(headerValue(v.headers) ?? headerValue(response?.headers));
}

function headerValue(headers: unknown): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as { get?: (name: string) => unknown } & Record<string, unknown>;
  const raw = typeof h.get === 'function' ? h.get('retry-after') : (h['retry-after'] ?? h['Retry-After']);
  return typeof raw === 'string' || typeof raw === 'number' ? String(raw) : undefined;
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function firstStatus(...values: unknown[]): number | undefined {
  for (const v of values) {
    if (typeof v === 'number' && v >= 100 && v <= 599) return v;
  }
  return undefined;
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string' && v !== '') return v;
  return undefined;
}

function firstObject(...values: unknown[]): Record<string, unknown> | undefined {
  for (const v of values) {
    if (isObject(v)) return v as Record<string, unknown>;
    if (typeof v === 'string' && v.startsWith('{')) {
      try {
        return JSON.parse(v) as Record<string, unknown>;
      } catch {
        // Not JSON; ignore.
      }
    }
  }
  return undefined;
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}
