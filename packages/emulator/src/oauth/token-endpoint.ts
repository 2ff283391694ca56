/**
 * The generic server's token state and `POST /token`: authorization code (PKCE), refresh token
 * (rotation with replay detection, or a long-lived token), client credentials. Access and refresh
 * tokens are opaque, as most third-party providers issue them; ID tokens are RS256 JWTs.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TestUser } from '../identity/config.js';
import type { HttpReply } from '../identity/errors.js';
import { basicCredentials, json } from '../identity/http.js';
import { type SigningKey, signJwt } from '../identity/jwt.js';
import { type OAuthClient, type OAuthLifetimes, type OAuthQuirks, splitScopes } from './config.js';

export interface OAuthCode {
  readonly clientId: string;
  readonly user: TestUser;
  readonly scopes: readonly string[];
  readonly redirectUri?: string | undefined;
  readonly codeChallenge?: string | undefined;
  readonly nonce?: string | undefined;
  readonly expiresAt: number;
  readonly grantId: string;
  used: boolean;
}

export interface OAuthToken {
  readonly kind: 'access' | 'refresh';
  readonly clientId: string;
  readonly user?: TestUser | undefined;
  readonly scopes: readonly string[];
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** Every token of one sign-in shares it; revoking a refresh token ends the grant. */
  readonly grantId: string;
  revoked?: boolean;
  /** Refresh tokens: redeemed once already (rotation). */
  used?: boolean;
}

export interface OAuthState {
  readonly codes: Map<string, OAuthCode>;
  readonly tokens: Map<string, OAuthToken>;
  readonly clients: OAuthClient[];
  quirks: OAuthQuirks;
  rotateRefreshTokens: boolean;
  readonly requirePkce: boolean;
  readonly lifetimes: OAuthLifetimes;
  readonly key: SigningKey;
  now(): number;
  findClient(clientId: string | undefined): OAuthClient | undefined;
  /** Ends every token of a grant (revocation of a refresh token, code or refresh-token replay). */
  revokeGrant(grantId: string): void;
}

export const newSecret = (prefix: string) => `${prefix}${randomBytes(32).toString('base64url')}`;
export const newGrantId = () => randomBytes(12).toString('hex');

export type ClientAuth =
  | { ok: true; client: OAuthClient }
  | { ok: false; reply: HttpReply; clientId?: string | undefined };

const safeEqual = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** `client_secret_basic`, `client_secret_post`, or a public client's bare `client_id`. */
export function authenticateClient(
  state: OAuthState,
  req: IncomingMessage,
  form: URLSearchParams,
): ClientAuth {
  const basic = basicCredentials(req);
  const clientId = basic?.id ?? form.get('client_id') ?? undefined;
  const secret = basic?.secret ?? form.get('client_secret') ?? undefined;
  const client = state.findClient(clientId);
  const invalid = (description: string): ClientAuth => ({
    ok: false,
    clientId,
    reply: json(
      401,
      { error: 'invalid_client', error_description: description },
      basic ? { 'www-authenticate': 'Basic realm="oauth"' } : undefined,
    ),
  });
  if (!client) return invalid('Client authentication failed: unknown client.');
  if (client.clientSecret === undefined)
    return secret ? invalid('Public clients have no secret.') : { ok: true, client };
  if (!secret || !safeEqual(secret, client.clientSecret)) return invalid('Client authentication failed.');
  return { ok: true, client };
}

export interface TokenRequestContext {
  readonly state: OAuthState;
  readonly issuer: string;
  readonly client: OAuthClient;
  readonly form: URLSearchParams;
}

type Outcome =
  | { ok: true; body: Record<string, unknown>; user?: TestUser | undefined; scopes: readonly string[] }
  | {
      ok: false;
      error: string;
      description: string;
    };

const fail = (error: string, description: string): Outcome => ({ ok: false, error, description });

function mint(
  t: TokenRequestContext,
  who: {
    user?: TestUser | undefined;
    scopes: readonly string[];
    grantId: string;
    refresh: boolean;
    nonce?: string | undefined;
  },
): Record<string, unknown> {
  const { state } = t;
  const now = state.now();
  const access = newSecret('gat_');
  state.tokens.set(access, {
    kind: 'access',
    clientId: t.client.clientId,
    user: who.user,
    scopes: who.scopes,
    issuedAt: now,
    expiresAt: now + state.lifetimes.accessToken,
    grantId: who.grantId,
  });
  const body: Record<string, unknown> = {
    access_token: access,
    token_type: 'Bearer',
    [state.quirks.expiresInField]: state.lifetimes.accessToken,
    scope: who.scopes.join(state.quirks.scopeSeparator),
  };
  if (who.refresh) {
    const refresh = newSecret('grt_');
    state.tokens.set(refresh, {
      kind: 'refresh',
      clientId: t.client.clientId,
      user: who.user,
      scopes: who.scopes,
      issuedAt: now,
      expiresAt: now + state.lifetimes.refreshToken,
      grantId: who.grantId,
    });
    body.refresh_token = refresh;
  }
  if (who.user && who.scopes.includes('openid')) {
    body.id_token = signJwt(state.key, {
      iss: t.issuer,
      aud: t.client.clientId,
      sub: who.user.id,
      email: who.user.email,
      email_verified: true,
      name: who.user.displayName,
      iat: now,
      exp: now + state.lifetimes.accessToken,
      at_hash: createHash('sha256').update(access).digest().subarray(0, 16).toString('base64url'),
      ...(who.nonce ? { nonce: who.nonce } : {}),
    });
  }
  return body;
}

function authorizationCode(t: TokenRequestContext): Outcome {
  const { state, form, client } = t;
  const code = state.codes.get(form.get('code') ?? '');
  if (code?.clientId !== client.clientId) return fail('invalid_grant', 'The authorization code is invalid.');
  if (code.used) {
    // RFC 6749 §4.1.2: a code used twice revokes what it already issued.
    state.revokeGrant(code.grantId);
    return fail('invalid_grant', 'The authorization code was already used.');
  }
  if (code.expiresAt <= state.now()) return fail('invalid_grant', 'The authorization code has expired.');
  if (code.redirectUri !== undefined && form.get('redirect_uri') !== code.redirectUri)
    return fail('invalid_grant', 'redirect_uri does not match the authorization request.');
  if (code.codeChallenge) {
    const verifier = form.get('code_verifier');
    if (!verifier) return fail('invalid_grant', 'code_verifier is required.');
    if (createHash('sha256').update(verifier).digest('base64url') !== code.codeChallenge)
      return fail('invalid_grant', 'code_verifier does not match the code_challenge.');
  }
  code.used = true;
  const refresh = client.grants.includes('refresh_token');
  const body = mint(t, {
    user: code.user,
    scopes: code.scopes,
    grantId: code.grantId,
    refresh,
    nonce: code.nonce,
  });
  return { ok: true, body, user: code.user, scopes: code.scopes };
}

function refreshToken(t: TokenRequestContext): Outcome {
  const { state, form, client } = t;
  const value = form.get('refresh_token') ?? '';
  const rec = state.tokens.get(value);
  if (rec?.kind !== 'refresh' || rec.clientId !== client.clientId)
    return fail('invalid_grant', 'The refresh token is invalid.');
  if (rec.revoked) return fail('invalid_grant', 'The refresh token has been revoked.');
  if (rec.expiresAt <= state.now()) return fail('invalid_grant', 'The refresh token has expired.');
  if (rec.used) {
    // Replay of a rotated refresh token: treat the grant as stolen (OAuth 2.0 Security BCP).
    state.revokeGrant(rec.grantId);
    return fail('invalid_grant', 'The refresh token was already used; the grant has been revoked.');
  }
  const requested = form.get('scope');
  const scopes = requested === null ? rec.scopes : splitScopes(requested);
  const extra = scopes.filter((s) => !rec.scopes.includes(s));
  if (extra.length > 0) return fail('invalid_scope', `Scopes not granted originally: ${extra.join(' ')}.`);
  const rotate = state.rotateRefreshTokens;
  if (rotate) rec.used = true;
  const body = mint(t, { user: rec.user, scopes, grantId: rec.grantId, refresh: rotate });
  return { ok: true, body, user: rec.user, scopes };
}

function clientCredentials(t: TokenRequestContext): Outcome {
  const { client, form } = t;
  if (client.clientSecret === undefined)
    return fail('unauthorized_client', 'Public clients cannot use client credentials.');
  const scopes = form.get('scope') === null ? (client.scopes ?? []) : splitScopes(form.get('scope'));
  const body = mint(t, { scopes, grantId: newGrantId(), refresh: false });
  return { ok: true, body, scopes };
}

/** Runs one grant; the caller has authenticated the client already. */
export function runGrant(t: TokenRequestContext): Outcome {
  const grant = t.form.get('grant_type') ?? '';
  if (!grant) return fail('invalid_request', 'grant_type is required.');
  if (!['authorization_code', 'refresh_token', 'client_credentials'].includes(grant))
    return fail('unsupported_grant_type', `Grant type '${grant}' is not supported.`);
  if (!t.client.grants.includes(grant as never))
    return fail('unauthorized_client', `The client may not use the ${grant} grant.`);
  if (grant === 'client_credentials' && t.client.scopes) {
    const denied = splitScopes(t.form.get('scope')).filter((s) => !t.client.scopes?.includes(s));
    if (denied.length > 0)
      return fail('invalid_scope', `Scopes not allowed for this client: ${denied.join(' ')}.`);
  }
  if (grant === 'authorization_code') return authorizationCode(t);
  if (grant === 'refresh_token') return refreshToken(t);
  return clientCredentials(t);
}
