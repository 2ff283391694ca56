/**
 * Configuration of the generic OAuth 2.0 / OpenID Connect server — the stand-in for third-party
 * identity providers (Zoho, Yahoo, a company's own IdP) — and the quirks real ones have.
 */

export const OAUTH_PREFIX = '/oauth';

export type OAuthGrantType = 'authorization_code' | 'refresh_token' | 'client_credentials';

export interface OAuthClientInput {
  readonly clientId: string;
  /** Omitted: a public client (no secret; PKCE is then always required). */
  readonly clientSecret?: string;
  /** Default: `http://localhost/callback` and `http://127.0.0.1/callback` (loopback matches any port). */
  readonly redirectUris?: readonly string[];
  /** Grants the client may use; default all three for confidential clients, no client credentials for public ones. */
  readonly grants?: readonly OAuthGrantType[];
  /** Scopes the client may request; default any. */
  readonly scopes?: readonly string[];
}

export interface OAuthClient {
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly redirectUris: readonly string[];
  readonly grants: readonly OAuthGrantType[];
  readonly scopes?: readonly string[];
}

/** Ways real providers bend the standards; each can be switched at start or while running. */
export interface OAuthQuirks {
  /** Token endpoint errors come back with HTTP 200 and `{ error }` in the body (as GitHub and Slack do). */
  readonly errorsWithStatus200: boolean;
  /** Separator of `scope` in token responses (and also accepted in requests): `' '` (RFC 6749) or `','`. */
  readonly scopeSeparator: ' ' | ',';
  /** Name of the lifetime field in token responses; `expires_in` per RFC 6749, e.g. `expires` elsewhere. */
  readonly expiresInField: string;
  /**
   * `works` (RFC 7009); `fails`: revocation answers 503 and the token stays valid; `ignored`: it
   * answers 200 but the token stays valid; `unsupported`: no revocation endpoint (404, absent from
   * the metadata).
   */
  readonly revocation: 'works' | 'fails' | 'ignored' | 'unsupported';
}

export interface GenericOAuthOptions {
  readonly clients?: readonly OAuthClientInput[] | undefined;
  /** Issue a new refresh token on every refresh and refuse the old one (default true). */
  readonly rotateRefreshTokens?: boolean | undefined;
  /** Require PKCE from confidential clients too (public clients always need it); default true (OAuth 2.1). */
  readonly requirePkce?: boolean | undefined;
  readonly quirks?: Partial<OAuthQuirks> | undefined;
  /** Seconds; defaults: access 3600, refresh 30 days, code 600. */
  readonly lifetimes?: Partial<OAuthLifetimes> | undefined;
}

export interface OAuthLifetimes {
  readonly accessToken: number;
  readonly refreshToken: number;
  readonly authorizationCode: number;
}

export const DEFAULT_OAUTH_IDS = Object.freeze({
  clientId: 'mailplug-generic-client',
  clientSecret: 'generic-client-secret',
  publicClientId: 'mailplug-generic-public',
});

export const DEFAULT_QUIRKS: OAuthQuirks = Object.freeze({
  errorsWithStatus200: false,
  scopeSeparator: ' ',
  expiresInField: 'expires_in',
  revocation: 'works',
});

const LOOPBACK_REDIRECTS = ['http://localhost/callback', 'http://127.0.0.1/callback'];

export function normalizeOAuthClient(c: OAuthClientInput): OAuthClient {
  const confidential = c.clientSecret !== undefined;
  return {
    clientId: c.clientId,
    ...(confidential ? { clientSecret: c.clientSecret } : {}),
    redirectUris: c.redirectUris ?? LOOPBACK_REDIRECTS,
    grants:
      c.grants ??
      (confidential
        ? ['authorization_code', 'refresh_token', 'client_credentials']
        : ['authorization_code', 'refresh_token']),
    ...(c.scopes ? { scopes: c.scopes } : {}),
  };
}

export function defaultOAuthClients(): OAuthClientInput[] {
  return [
    { clientId: DEFAULT_OAUTH_IDS.clientId, clientSecret: DEFAULT_OAUTH_IDS.clientSecret },
    { clientId: DEFAULT_OAUTH_IDS.publicClientId },
  ];
}

/** Scopes from a request: space-separated per RFC 6749, commas tolerated (some providers send them). */
export function splitScopes(raw: string | null | undefined): string[] {
  return [...new Set((raw ?? '').split(/[\s,]+/).filter(Boolean))];
}
