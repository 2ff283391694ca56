/**
 * Error bodies in the exact shapes the real platforms send, and the injection rules that let a
 * test make the next (or every) request of an app or user fail with one of them.
 */
import { randomUUID } from 'node:crypto';

export interface HttpReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface AadstsEntry {
  readonly error: string;
  readonly status: number;
  readonly text: string;
  readonly suberror?: string;
}

/** AADSTS numbers the emulator knows, with Microsoft's OAuth error and (abridged) description. */
export const AADSTS: Readonly<Record<number, AadstsEntry>> = Object.freeze({
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

/** Where an injected fault applies. Omitted fields match anything. */
export interface InjectionMatch {
  readonly clientId?: string;
  /** The signed-in user (email); for app-only grants there is none, so such a rule never matches. */
  readonly user?: string;
  /** Default `'token'`. `'authorize'` redirects back with the error; `'any'` matches every endpoint. */
  readonly endpoint?:
    | 'token'
    | 'authorize'
    | 'devicecode'
    | 'revoke'
    | 'tokeninfo'
    | 'userinfo'
    | 'introspect'
    | 'any';
  /** How many matching requests fail; default 1 ("the next request"); `Infinity` until removed. */
  readonly times?: number;
}

export type MicrosoftInjection = InjectionMatch &
  (
    | { readonly aadsts: number; readonly detail?: string }
    | { readonly status: 429 | 500 | 502 | 503 | 504; readonly retryAfterSeconds?: number }
    | { readonly delayMs: number }
  );

export type GoogleInjection = InjectionMatch &
  (
    | { readonly error: GoogleErrorName; readonly description?: string; readonly status?: number }
    | { readonly status: 429 | 500 | 502 | 503 | 504; readonly retryAfterSeconds?: number }
    | { readonly delayMs: number }
  );

export interface InjectionHandle {
  /** Requests that this rule has failed so far. */
  readonly hits: number;
  remove(): void;
}

interface Rule {
  flavour: 'microsoft' | 'google';
  spec: MicrosoftInjection | GoogleInjection;
  remaining: number;
  hits: number;
}

export interface InjectionContext {
  readonly endpoint: string;
  readonly clientId?: string;
  readonly user?: string;
}

export interface Injections {
  add(flavour: 'microsoft' | 'google', spec: MicrosoftInjection | GoogleInjection): InjectionHandle;
  /** Consumes the first matching error rule. */
  take(flavour: 'microsoft' | 'google', ctx: InjectionContext): { reply?: HttpReply; label?: string };
  /** Consumes the first matching delay rule (delays do not end the request); 0 when none. `user` is not known yet here. */
  takeDelay(flavour: 'microsoft' | 'google', ctx: InjectionContext): number;
  clear(): void;
}

export function createInjections(): Injections {
  let rules: Rule[] = [];
  const matches = (r: Rule, flavour: string, ctx: InjectionContext) =>
    r.flavour === flavour &&
    r.remaining > 0 &&
    ((r.spec.endpoint ?? 'token') === 'any' || (r.spec.endpoint ?? 'token') === ctx.endpoint) &&
    (r.spec.clientId === undefined || r.spec.clientId === ctx.clientId) &&
    (r.spec.user === undefined || r.spec.user.toLowerCase() === ctx.user?.toLowerCase());
  return {
    add(flavour, spec) {
      const rule: Rule = { flavour, spec, remaining: spec.times ?? 1, hits: 0 };
      rules.push(rule);
      return {
        get hits() {
          return rule.hits;
        },
        remove() {
          rules = rules.filter((r) => r !== rule);
        },
      };
    },
    take(flavour, ctx) {
      const rule = rules.find((r) => !('delayMs' in r.spec) && matches(r, flavour, ctx));
      if (!rule) return {};
      const spec = rule.spec;
      rule.remaining -= 1;
      rule.hits += 1;
      rules = rules.filter((r) => r.remaining > 0);
      const label =
        'aadsts' in spec
          ? `AADSTS${spec.aadsts}`
          : 'error' in spec
            ? spec.error
            : `HTTP ${(spec as { status: number }).status}`;
      return { reply: replyFor(flavour, spec), label };
    },
    takeDelay(flavour, ctx) {
      const rule = rules.find((r) => 'delayMs' in r.spec && matches(r, flavour, ctx));
      if (!rule) return 0;
      rule.remaining -= 1;
      rule.hits += 1;
      rules = rules.filter((r) => r.remaining > 0);
      return (rule.spec as { delayMs: number }).delayMs;
    },
    clear() {
      rules = [];
    },
  };
}

function replyFor(flavour: 'microsoft' | 'google', spec: MicrosoftInjection | GoogleInjection): HttpReply {
  if ('aadsts' in spec) return microsoftError(spec.aadsts, spec.detail);
  if ('error' in spec) return googleError(spec.error, spec.description, spec.status);
  const s = spec as { status: number; retryAfterSeconds?: number };
  const headers: Record<string, string> = {};
  if (s.status === 429 || s.retryAfterSeconds !== undefined)
    headers['retry-after'] = String(s.retryAfterSeconds ?? 1);
  const body =
    flavour === 'microsoft'
      ? {
          error: s.status === 429 ? 'temporarily_unavailable' : 'server_error',
          error_description:
            s.status === 429
              ? 'AADSTS50196: The server terminated an operation because it encountered a client request loop.'
              : 'AADSTS90033: A transient error has occurred. Please try again.',
          error_codes: [s.status === 429 ? 50196 : 90033],
          timestamp: new Date().toISOString(),
          trace_id: randomUUID(),
          correlation_id: randomUUID(),
        }
      : {
          error: s.status === 429 ? 'rate_limit_exceeded' : 'internal_failure',
          error_description: s.status === 429 ? 'Rate Limit Exceeded' : 'Backend Error',
        };
  return { status: s.status, body, headers };
}
