/**
 * Error bodies in the exact shapes the real identity platforms send (Microsoft's AADSTS catalog,
 * Google's OAuth errors). Injected faults that use them live in `../faults/`.
 */
import { randomUUID } from 'node:crypto';

export interface HttpReply {
  status: number;
  /** JSON value, or a string sent as HTML unless `contentType` says otherwise; `undefined` = no body. */
  body: unknown;
  headers?: Record<string, string>;
  /** Content type of a string body (default `text/html; charset=utf-8`). */
  contentType?: string;
  /** Injected transport faults: never answer (`black-hole`) or reset the connection. */
  transport?: 'black-hole' | 'reset';
}

interface AadstsEntry {
  readonly error: string;
  readonly status: number;
  readonly text: string;
  readonly suberror?: string;
}

/** AADSTS numbers the emulator knows, with Microsoft's OAuth error and (abridged) description. */
export const AADSTS: Readonly<Record<number, AadstsEntry>> = Object.freeze({
  28000: {
    error: 'invalid_scope',
    status: 400,
    text: 'Provided value for the input parameter scope is not valid because it contains more than one resource.',
  },
  50011: {
    error: 'invalid_client',
    status: 400,
    text: 'The redirect URI specified in the request does not match the redirect URIs configured for the application. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.',
  },
  50059: {
    error: 'invalid_request',
    status: 400,
    text: 'No tenant-identifying information found in either the request or implied by any provided credentials.',
  },
  50076: {
    error: 'invalid_grant',
    status: 400,
    text: 'Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access this resource.',
    suberror: 'basic_action',
  },
  50126: {
    error: 'invalid_grant',
    status: 400,
    text: 'Error validating credentials due to invalid username or password.',
  },
  53003: {
    error: 'invalid_grant',
    status: 400,
    text: 'Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.',
    suberror: 'message_only',
  },
  54005: {
    error: 'invalid_grant',
    status: 400,
    text: 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
  },
  65001: {
    error: 'invalid_grant',
    status: 400,
    text: 'The user or administrator has not consented to use the application. Send an interactive authorization request for this user and resource.',
    suberror: 'consent_required',
  },
  65004: { error: 'access_denied', status: 400, text: 'User declined to consent to access the app.' },
  70000: { error: 'invalid_grant', status: 400, text: 'Provided grant is invalid or malformed.' },
  70008: {
    error: 'invalid_grant',
    status: 400,
    text: 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
  },
  70011: {
    error: 'invalid_scope',
    status: 400,
    text: "The provided value for the input parameter 'scope' is not valid.",
  },
  70016: {
    error: 'authorization_pending',
    status: 400,
    text: 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
  },
  70019: { error: 'expired_token', status: 400, text: 'Verification code expired.' },
  70043: {
    error: 'invalid_grant',
    status: 400,
    text: 'The refresh token has expired or is invalid due to sign-in frequency checks by conditional access.',
    suberror: 'bad_token',
  },
  90002: {
    error: 'invalid_request',
    status: 400,
    text: 'Tenant not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.',
  },
  900144: {
    error: 'invalid_request',
    status: 400,
    text: 'The request body must contain the following parameter.',
  },
  501481: {
    error: 'invalid_grant',
    status: 400,
    text: 'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
  },
  700016: {
    error: 'unauthorized_client',
    status: 400,
    text: 'Application was not found in the directory. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.',
  },
  700024: {
    error: 'invalid_client',
    status: 401,
    text: 'Client assertion is not within its valid time range.',
  },
  700027: {
    error: 'invalid_client',
    status: 401,
    text: 'The certificate with identifier used to sign the client assertion is not registered on application.',
  },
  700082: {
    error: 'invalid_grant',
    status: 400,
    text: 'The refresh token has expired due to inactivity. The token was issued and was inactive for the configured lifetime.',
    suberror: 'bad_token',
  },
  7000215: {
    error: 'invalid_client',
    status: 401,
    text: 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.',
  },
  7000218: {
    error: 'invalid_client',
    status: 401,
    text: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  },
  7000222: {
    error: 'invalid_client',
    status: 401,
    text: 'The provided client secret keys for app are expired. Visit the Azure portal to create new keys for your app.',
  },
  9002313: {
    error: 'invalid_request',
    status: 400,
    text: 'Invalid request. Request is malformed or invalid.',
  },
});

/** Builds Microsoft's error body; `detail` is appended to the catalog text (e.g. the client id). */
export function microsoftError(code: number, detail?: string): HttpReply {
  const entry = AADSTS[code] ?? { error: 'invalid_request', status: 400, text: 'Emulated error.' };
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  const description = `AADSTS${code}: ${entry.text}${detail ? ` ${detail}` : ''} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`;
  return {
    status: entry.status,
    body: {
      error: entry.error,
      error_description: description,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
      ...(entry.suberror ? { suberror: entry.suberror } : {}),
    },
  };
}

export type GoogleErrorName =
  | 'invalid_grant'
  | 'invalid_client'
  | 'unauthorized_client'
  | 'redirect_uri_mismatch'
  | 'invalid_request'
  | 'invalid_scope'
  | 'invalid_token'
  | 'access_denied'
  | 'unsupported_grant_type';

const GOOGLE_DEFAULTS: Record<GoogleErrorName, { status: number; description: string }> = {
  invalid_grant: { status: 400, description: 'Token has been expired or revoked.' },
  invalid_client: { status: 401, description: 'The OAuth client was not found.' },
  unauthorized_client: {
    status: 401,
    description:
      'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
  },
  redirect_uri_mismatch: { status: 400, description: 'Bad Request' },
  invalid_request: { status: 400, description: 'Bad Request' },
  invalid_scope: { status: 400, description: 'Some requested scopes were invalid.' },
  invalid_token: { status: 400, description: 'Invalid Value' },
  access_denied: { status: 403, description: 'Access denied.' },
  unsupported_grant_type: { status: 400, description: 'Invalid grant_type.' },
};

export function googleError(error: GoogleErrorName, description?: string, status?: number): HttpReply {
  const d = GOOGLE_DEFAULTS[error];
  return { status: status ?? d.status, body: { error, error_description: description ?? d.description } };
}
