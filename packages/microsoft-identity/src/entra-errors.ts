/**
 * Entra ID (Azure AD) failures → MailplugError. One data table; flow code never switches on AADSTS
 * numbers itself. Transient failures (network, 429, 5xx) are kept apart from credential failures
 * so that an outage is never reported as a bad secret.
 */
import {
  type ErrorAction,
  isMailplugError,
  type MailplugError,
  mailplugError,
  transientNetworkCodeOf,
} from '@mailplug/core';

/** Error codes this package raises (stable; documented in the README). */
export const MicrosoftErrorCode = {
  AppNotFound: 'M365_APP_NOT_FOUND',
  ClientSecretInvalid: 'M365_CLIENT_SECRET_INVALID',
  ClientSecretExpired: 'M365_CLIENT_SECRET_EXPIRED',
  CertificateInvalid: 'M365_CERTIFICATE_INVALID',
  ClientAuthFailed: 'M365_CLIENT_AUTH_FAILED',
  TenantNotFound: 'M365_TENANT_NOT_FOUND',
  ConsentRequired: 'M365_CONSENT_REQUIRED',
  MfaRequired: 'M365_MFA_REQUIRED',
  ConditionalAccess: 'M365_CONDITIONAL_ACCESS',
  WrongPassword: 'M365_WRONG_PASSWORD',
  CodeAlreadyRedeemed: 'M365_CODE_ALREADY_REDEEMED',
  InvalidScope: 'M365_INVALID_SCOPE',
  RedirectUriMismatch: 'M365_REDIRECT_URI_MISMATCH',
  PersonalAccount: 'M365_PERSONAL_ACCOUNT',
  MailboxMismatch: 'M365_MAILBOX_MISMATCH',
  InteractionRequired: 'M365_INTERACTION_REQUIRED',
  DeviceCodeExpired: 'M365_DEVICE_CODE_EXPIRED',
  SignInFailed: 'M365_SIGN_IN_FAILED',
  SignInCancelled: 'M365_SIGN_IN_CANCELLED',
  /** AADSTS700024: the signed client assertion is outside its time window — the clock is skewed. */
  ClockSkew: 'M365_CLOCK_SKEW',
  /** Core's shared codes, re-exported so a switch over this object is complete. */
  ReauthRequired: 'REAUTH_REQUIRED',
  SignInDenied: 'SIGN_IN_DENIED',
  Transient: 'TRANSIENT',
} as const;
export type MicrosoftErrorCode = (typeof MicrosoftErrorCode)[keyof typeof MicrosoftErrorCode];

export interface EntraErrorRule {
  /** AADSTS numbers this row covers. */
  readonly aadsts?: readonly number[];
  /** OAuth `error` values (or msal error codes) this row covers when no AADSTS row matched. */
  readonly oauthErrors?: readonly string[];
  readonly code: MicrosoftErrorCode;
  readonly action: ErrorAction;
  readonly message: string;
  readonly hint: string;
  /**
   * Who acts, and how, when the failure comes from a user's delegated sign-in or its silent
   * refresh rather than from an app's own client credentials: missing consent there is fixed by the
   * user signing in again (the consent prompt comes with it), not by an admin alone.
   */
  readonly delegated?: { readonly action: ErrorAction; readonly hint: string };
}

/** Where a Microsoft failure happened, when the same signal needs another person to act. */
export interface EntraErrorContext {
  /** `delegated`: a user's sign-in or its silent refresh; `appOnly`: client credentials. */
  readonly flow?: 'delegated' | 'appOnly';
}

const APP_REGISTRATION =
  'Microsoft Entra admin center → Identity → Applications → App registrations → (the app)';

/**
 * The mapping, first match wins: AADSTS rows, then OAuth-error rows. Rows with action `retry`
 * are outages and throttling: the classifier adds `retryAfterMs` when the answer carried one.
 */
export const ENTRA_ERROR_TABLE: readonly EntraErrorRule[] = Object.freeze([
  {
    aadsts: [700016],
    code: MicrosoftErrorCode.AppNotFound,
    action: 'admin',
    message: 'Microsoft Entra ID does not know this application (client) id in this tenant.',
    hint: `Copy the Application (client) ID from ${APP_REGISTRATION} → Overview into the client id setting — not an email address or the object id — and check that the tenant setting names the directory the app is registered in.`,
  },
  {
    aadsts: [7000215],
    code: MicrosoftErrorCode.ClientSecretInvalid,
    action: 'admin',
    message: 'Microsoft Entra ID rejected the client secret.',
    hint: `Store the secret's Value (shown once when created under ${APP_REGISTRATION} → Certificates & secrets), not its Secret ID; create a new secret there if the value was not copied.`,
  },
  {
    aadsts: [7000222],
    code: MicrosoftErrorCode.ClientSecretExpired,
    action: 'admin',
    message: 'The client secret has expired.',
    hint: `Create a new client secret under ${APP_REGISTRATION} → Certificates & secrets → New client secret, store its Value, and update the secret expiry date setting.`,
  },
  {
    aadsts: [700024],
    code: MicrosoftErrorCode.ClockSkew,
    action: 'admin',
    message: "The client assertion was not within its valid time range (this machine's clock is off).",
    hint: 'Check the server clock: sync this machine with NTP (Linux: timedatectl set-ntp true; Windows: w32tm /resync) — Entra ID accepts a signed client assertion only within minutes of its own time; the certificate itself is fine.',
  },
  {
    aadsts: [700027, 700023, 50012],
    code: MicrosoftErrorCode.CertificateInvalid,
    action: 'admin',
    message: 'Microsoft Entra ID rejected the client certificate or assertion.',
    hint: `Upload the certificate's public part under ${APP_REGISTRATION} → Certificates & secrets → Certificates, and check that the thumbprint and private key settings belong to that certificate.`,
  },
  {
    aadsts: [90002, 90023],
    code: MicrosoftErrorCode.TenantNotFound,
    action: 'admin',
    message: 'The Microsoft 365 tenant was not found.',
    hint: `Enter the Directory (tenant) ID from ${APP_REGISTRATION} → Overview, or the tenant's verified domain, and check that the cloud setting matches the tenant (global, US Government, China).`,
  },
  {
    aadsts: [65004],
    code: MicrosoftErrorCode.SignInDenied,
    action: 'user',
    message: 'The user declined to consent to the mail permissions.',
    hint: 'Sign in again and accept the requested mail permissions (or ask an admin to grant consent for the organization).',
  },
  {
    aadsts: [65001, 90094, 90008],
    oauthErrors: ['consent_required'],
    code: MicrosoftErrorCode.ConsentRequired,
    action: 'admin',
    message: 'The application has not been granted the mail permissions it asks for.',
    hint: `In ${APP_REGISTRATION} → API permissions, add the Office 365 Exchange Online permissions for the protocols used and click "Grant admin consent for <tenant>".`,
    delegated: {
      action: 'user',
      hint: `The mailbox user must sign in again to consent to the app's new or changed mail permissions; if users may not consent in this tenant, an admin first clicks "Grant admin consent" in ${APP_REGISTRATION} → API permissions.`,
    },
  },
  {
    aadsts: [50076, 50079, 50074, 50158],
    code: MicrosoftErrorCode.MfaRequired,
    action: 'user',
    message: 'Multi-factor authentication is required for this account.',
    hint: 'The mailbox user must sign in interactively (browser or device code) and complete multi-factor authentication or its enrolment.',
  },
  {
    aadsts: [53003, 53000, 53001, 530003],
    code: MicrosoftErrorCode.ConditionalAccess,
    action: 'admin',
    message: 'A Conditional Access policy blocked the sign-in.',
    hint: 'A Microsoft 365 admin must find the blocking policy under Microsoft Entra admin center → Identity → Monitoring & health → Sign-in logs (Conditional Access tab) and allow this application, device or location in Protection → Conditional Access → Policies; signing in again cannot fix it.',
  },
  {
    aadsts: [50126, 50034, 50053, 50055],
    code: MicrosoftErrorCode.WrongPassword,
    action: 'user',
    message: 'The user name or password is wrong, or the password has expired or the account is locked.',
    hint: 'The mailbox user must sign in again with the correct Microsoft 365 password (reset it first if it expired or the account is locked).',
  },
  {
    aadsts: [700082, 70043, 700084, 50173, 50133, 70008, 135011],
    code: MicrosoftErrorCode.ReauthRequired,
    action: 'user',
    message: 'The Microsoft 365 sign-in has expired or was revoked.',
    hint: "The mailbox user must sign in again (refresh tokens end after 90 days unused, a password change or the tenant's sign-in frequency policy).",
  },
  {
    aadsts: [54005],
    code: MicrosoftErrorCode.CodeAlreadyRedeemed,
    action: 'retry',
    message: 'The authorization code was already used (two sign-ins raced).',
    hint: 'Start the sign-in again; each authorization code can be redeemed once.',
  },
  {
    aadsts: [90033, 90006, 90055, 50196],
    code: MicrosoftErrorCode.Transient,
    action: 'retry',
    message: 'Microsoft Entra ID is throttling or temporarily unavailable.',
    hint: 'Nothing is wrong with the credentials: Mailplug retries after the time Microsoft asked for (Retry-After); if it persists, check https://status.cloud.microsoft and network access to login.microsoftonline.com.',
  },
  {
    aadsts: [70011, 28000, 28003],
    code: MicrosoftErrorCode.InvalidScope,
    action: 'developer',
    message: 'The requested scopes are invalid for Microsoft Entra ID.',
    hint: 'Request scopes of one resource only (Outlook `https://outlook.office.com/...` for mail protocols, never mixed with Microsoft Graph), or `<resource>/.default` for app-only.',
  },
  {
    aadsts: [50011, 500113],
    code: MicrosoftErrorCode.RedirectUriMismatch,
    action: 'admin',
    message: 'The redirect URI is not registered for this application.',
    hint: `Add the exact redirect URI shown in the settings under ${APP_REGISTRATION} → Authentication (platform "Web" for a confidential client, "Mobile and desktop applications" for loopback).`,
  },
  {
    aadsts: [7000218, 700025],
    code: MicrosoftErrorCode.ClientAuthFailed,
    action: 'admin',
    message: 'The application type does not match the credentials sent.',
    hint: `Either configure a client secret for a Web app registration, or turn on "Allow public client flows" under ${APP_REGISTRATION} → Authentication for a public client without a secret.`,
  },
  {
    oauthErrors: ['invalid_client', 'unauthorized_client'],
    code: MicrosoftErrorCode.ClientAuthFailed,
    action: 'admin',
    message: 'Microsoft Entra ID did not accept the application credentials.',
    hint: `Check the client id, the tenant and the client secret Value (or certificate) against ${APP_REGISTRATION} → Overview and Certificates & secrets.`,
  },
  {
    oauthErrors: [
      'invalid_grant',
      'interaction_required',
      'login_required',
      'no_tokens_found',
      'refresh_token_expired',
      'no_account_in_silent_request',
    ],
    code: MicrosoftErrorCode.ReauthRequired,
    action: 'user',
    message: 'The Microsoft 365 sign-in is no longer valid.',
    hint: 'The mailbox user must sign in again.',
  },
  {
    oauthErrors: ['access_denied'],
    code: MicrosoftErrorCode.SignInDenied,
    action: 'user',
    message: 'The sign-in was cancelled or consent was refused.',
    hint: 'Sign in again and accept the requested mail permissions (or ask an admin to grant consent).',
  },
  {
    oauthErrors: ['invalid_scope'],
    code: MicrosoftErrorCode.InvalidScope,
    action: 'developer',
    message: 'The requested scopes are invalid.',
    hint: 'Request Outlook mail scopes only (never mixed with Microsoft Graph scopes).',
  },
  {
    oauthErrors: ['expired_token', 'code_expired', 'device_code_expired'],
    code: MicrosoftErrorCode.DeviceCodeExpired,
    action: 'user',
    message: 'The device code expired before the sign-in was completed.',
    hint: 'Start the device code sign-in again and enter the code within its lifetime.',
  },
  {
    oauthErrors: ['temporarily_unavailable', 'server_error', 'network_error'],
    code: MicrosoftErrorCode.Transient,
    action: 'retry',
    message: 'Microsoft Entra ID could not be reached or is temporarily unavailable.',
    hint: 'Nothing is wrong with the credentials: Mailplug retries with backoff; if it persists, check network access (and the HTTP proxy) to the Entra ID sign-in host.',
  },
  {
    // msal's own fetch client raises this when a proxy or front end answers with an HTML or text
    // page instead of Entra ID's JSON — a 502/503 page in practice, never a credential problem.
    oauthErrors: ['token_parsing_error'],
    code: MicrosoftErrorCode.Transient,
    action: 'retry',
    message:
      'Microsoft Entra ID (or a proxy in front of it) answered with a page instead of a token response.',
    hint: 'Mailplug retries with backoff; if it persists, check the HTTP proxy or firewall between this machine and the Entra ID sign-in host — it is answering in place of Microsoft.',
  },
]);

/** The facts a Microsoft failure carries, whatever shape it arrived in (msal error, plain object). */
export interface EntraFailure {
  readonly oauthError?: string;
  readonly aadsts?: number;
  readonly subError?: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly correlationId?: string;
  readonly network?: boolean;
}

const AADSTS_IN_TEXT = /AADSTS(\d{4,7})/;
const RETRY_AFTER_IN_TEXT = /Retry-After:\s*(\d+)/i;
/** The `(HTTP 503, Retry-After: 5)` suffix Mailplug's msal network client adds to error descriptions. */
const STATUS_IN_TEXT = /\(HTTP (\d{3})(?:[,)])/;
/** msal's throttling cache answers with the cached `error_codes` joined by spaces as its error code. */
const NUMERIC_CODES = /^\d+(?: \d+)*$/;

/** Reads errorCode / errorNo / subError / status from an msal AuthError or ServerError (duck-typed). */
export function readEntraFailure(error: unknown): EntraFailure {
  if (!error || typeof error !== 'object') return {};
  const e = error as Record<string, unknown>;
  const text = [e.errorMessage, e.message].filter((v) => typeof v === 'string').join(' ');
  let errorCode = typeof e.errorCode === 'string' && e.errorCode ? e.errorCode : undefined;
  // msal's device-code poller reports server errors as post_request_failed with the OAuth error as text.
  if (errorCode === 'post_request_failed' && typeof e.errorMessage === 'string') {
    const inner = /\b([a-z]+(?:_[a-z]+)+)\b/.exec(e.errorMessage.replace('post_request_failed', ''));
    if (inner?.[1]) errorCode = inner[1];
  }
  let aadsts: number | undefined;
  // Within msal's throttle window (after a 429 or 5xx) the replayed ServerError has the AADSTS
  // numbers as its error code, or an empty one, and no HTTP status.
  if (errorCode && NUMERIC_CODES.test(errorCode)) {
    aadsts = Number(errorCode.split(' ')[0]);
    errorCode = undefined;
  }
  const errorNoRaw = e.errorNo;
  if (typeof errorNoRaw === 'number') aadsts = errorNoRaw;
  else if (typeof errorNoRaw === 'string' && /^\d+$/.test(errorNoRaw)) aadsts = Number(errorNoRaw);
  else if (aadsts === undefined) {
    const m = AADSTS_IN_TEXT.exec(text);
    if (m?.[1]) aadsts = Number(m[1]);
  }
  const statusInText = STATUS_IN_TEXT.exec(text)?.[1];
  const status =
    typeof e.status === 'number' ? e.status : statusInText !== undefined ? Number(statusInText) : undefined;
  const retry = RETRY_AFTER_IN_TEXT.exec(text);
  // msal reports a failed request as errorCode "network_error", keeping the Node code on the error.
  const network = errorCode === 'network_error' || transientNetworkCodeOf(error) !== undefined;
  return {
    ...(errorCode ? { oauthError: errorCode } : {}),
    ...(aadsts !== undefined ? { aadsts } : {}),
    ...(typeof e.subError === 'string' && e.subError ? { subError: e.subError } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(retry?.[1] ? { retryAfterMs: Number(retry[1]) * 1000 } : {}),
    ...(typeof e.correlationId === 'string' && e.correlationId ? { correlationId: e.correlationId } : {}),
    ...(network ? { network } : {}),
  };
}

/** Finds the table row for a failure, or undefined. */
export function findEntraErrorRule(failure: EntraFailure): EntraErrorRule | undefined {
  if (failure.aadsts !== undefined) {
    const row = ENTRA_ERROR_TABLE.find((r) => r.aadsts?.includes(failure.aadsts as number));
    if (row) return row;
  }
  if (failure.oauthError) {
    return ENTRA_ERROR_TABLE.find((r) => r.oauthErrors?.includes(failure.oauthError as string));
  }
  return undefined;
}

/** An HTTP status or network failure that says "the service", never "the credentials". */
function isOutage(failure: EntraFailure): boolean {
  return (
    failure.network === true ||
    failure.status === 408 ||
    failure.status === 429 ||
    (failure.status !== undefined && failure.status >= 500)
  );
}

/**
 * Maps any failure from msal (or the token endpoint) to a MailplugError with code, who acts and a
 * hint, from {@link ENTRA_ERROR_TABLE}. Outages come first: a network failure, 408, 429 or 5xx —
 * including msal's replay of one inside its throttle window — is `TRANSIENT` (`retry`, with
 * `retryAfterMs` when Microsoft sent Retry-After) unless the AADSTS number names a specific
 * credential row. `context.flow` picks the row's `delegated` variant for a user's sign-in.
 * MailplugErrors pass through unchanged.
 *
 * @example
 * try { await app.acquireTokenByClientCredential(req) } catch (e) { throw classifyEntraError(e, { flow: 'appOnly' }) }
 */
export function classifyEntraError(error: unknown, context: EntraErrorContext = {}): MailplugError {
  if (isMailplugError(error)) return error;
  const failure = readEntraFailure(error);
  const details: Record<string, unknown> = {};
  if (failure.aadsts !== undefined) details.aadsts = `AADSTS${failure.aadsts}`;
  if (failure.oauthError) details.oauthError = failure.oauthError;
  if (failure.subError) details.subError = failure.subError;
  if (failure.status !== undefined) details.httpStatus = failure.status;
  if (failure.correlationId) details.correlationId = failure.correlationId;
  const retryAfter = failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {};

  const byNumber = failure.aadsts !== undefined ? findEntraErrorRule({ aadsts: failure.aadsts }) : undefined;
  // Outages and throttling first: a 503 must never read as "bad secret".
  if (isOutage(failure) && (!byNumber || byNumber.action === 'retry')) {
    const throttled = failure.status === 429;
    return mailplugError(
      MicrosoftErrorCode.Transient,
      'retry',
      throttled
        ? 'Microsoft Entra ID is throttling token requests (HTTP 429).'
        : failure.network
          ? 'Microsoft Entra ID could not be reached (network error or no answer in time).'
          : `Microsoft Entra ID is temporarily unavailable${failure.status ? ` (HTTP ${failure.status})` : ''}.`,
      throttled
        ? 'Nothing is wrong with the credentials: wait for the time Microsoft asked for (Retry-After) — Mailplug retries then; if it persists, check https://status.cloud.microsoft.'
        : 'Nothing is wrong with the credentials: Mailplug retries with backoff; if it persists, check network access (and the HTTP proxy) to the Entra ID sign-in host and https://status.cloud.microsoft.',
      { cause: error, details, ...retryAfter },
    );
  }

  const rule = findEntraErrorRule(failure);
  if (rule) {
    const variant = context.flow === 'delegated' && rule.delegated ? rule.delegated : rule;
    const prefix = failure.aadsts !== undefined ? `AADSTS${failure.aadsts}: ` : '';
    return mailplugError(rule.code, variant.action, `${prefix}${rule.message}`, variant.hint, {
      cause: error,
      details,
      ...(variant.action === 'retry' ? retryAfter : {}),
    });
  }
  const described = error instanceof Error ? error.message : String(error);
  return mailplugError(
    MicrosoftErrorCode.SignInFailed,
    'admin',
    `Microsoft sign-in failed${failure.aadsts !== undefined ? ` (AADSTS${failure.aadsts})` : ''}: ${described.slice(0, 300)}`,
    `Look up the AADSTS code in the details at https://login.microsoftonline.com/error and check the tenant, client id and secret against ${APP_REGISTRATION}.`,
    { cause: error, details },
  );
}
