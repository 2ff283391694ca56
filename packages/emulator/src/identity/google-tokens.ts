/**
 * The Google token endpoint: authorization code (with PKCE), refresh token (optional rotation)
 * and the service-account JWT bearer grant, plus the minting of opaque `ya29.` access tokens and ID
 * tokens. Also the injected-failure hook every Google endpoint consults. Routes are in `google.ts`.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { GoogleServiceAccount, TestUser } from './config.js';
import { type GoogleErrorName, googleError, type HttpReply } from './errors.js';
import { basicCredentials, json } from './http.js';
import { decodeJwt, signJwt, verifyJwtSignature } from './jwt.js';
import type { IdentityState } from './state.js';

const REAL_TOKEN_URLS = [
  'https://oauth2.googleapis.com/token',
  'https://accounts.google.com/o/oauth2/token',
  'https://www.googleapis.com/oauth2/v4/token',
];

function refuse(
  state: IdentityState,
  error: GoogleErrorName,
  description: string | undefined,
  ctx: { grant?: string | undefined; clientId?: string | undefined; user?: string | undefined },
): HttpReply {
  state.events.record({ kind: 'grant-refused', flavour: 'google', ...ctx, error });
  return googleError(error, description);
}

/** The reply a test injected for this Google endpoint, recorded as an event; else undefined. */
export function injected(
  state: IdentityState,
  endpoint: string,
  clientId?: string,
  user?: string,
  grant?: string,
  clientAlias?: string,
): HttpReply | undefined {
  const hit = state.injections.take('google', { endpoint, clientIds: [clientId, clientAlias], user, grant });
  if (!hit.reply) return undefined;
  const body = hit.reply.body as { error?: string };
  state.events.record({
    kind: 'injected-error',
    flavour: 'google',
    grant,
    clientId,
    user,
    error: body.error,
    detail: hit.label,
  });
  return hit.reply;
}

function mint(
  state: IdentityState,
  base: string,
  clientId: string,
  who: { user?: TestUser | undefined; sa?: GoogleServiceAccount | undefined },
  scopes: readonly string[],
  nonce?: string,
): Record<string, unknown> {
  const lifetime = state.config.lifetimes.accessToken;
  const accessToken = state.randomToken('ya29.a0', 96);
  state.googleTokens.set(accessToken, {
    clientId,
    user: who.user,
    serviceAccount: who.sa,
    scopes,
    expiresAt: state.now() + lifetime,
  });
  const body: Record<string, unknown> = {
    access_token: accessToken,
    expires_in: lifetime,
    scope: scopes.join(' '),
    token_type: 'Bearer',
  };
  if (who.user && scopes.includes('openid')) {
    const now = state.now();
    body.id_token = signJwt(state.key, {
      iss: base,
      azp: clientId,
      aud: clientId,
      sub: who.user.id,
      email: who.user.email,
      email_verified: true,
      name: who.user.displayName,
      at_hash: createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url'),
      iat: now,
      exp: now + 3600,
      ...(nonce ? { nonce } : {}),
    });
  }
  return body;
}

function newRefreshToken(
  state: IdentityState,
  clientId: string,
  user: TestUser,
  scopes: readonly string[],
): string {
  const refresh = state.randomToken('1//0g', 64);
  state.refreshTokens.set(refresh, {
    flavour: 'google',
    clientId,
    tenant: 'google',
    user,
    scopes,
    expiresAt: state.now() + state.config.lifetimes.refreshToken,
  });
  return refresh;
}

/** `POST /google/token`. */
export function googleToken(
  state: IdentityState,
  req: IncomingMessage,
  form: URLSearchParams,
  base: string,
): HttpReply {
  const grant = form.get('grant_type') ?? '';
  const basic = basicCredentials(req);
  const clientId = form.get('client_id') ?? basic?.id ?? '';
  const secret = form.get('client_secret') ?? basic?.secret;
  if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') return jwtBearer(state, form, base);
  const peek =
    grant === 'authorization_code'
      ? state.codes.get(form.get('code') ?? '')?.user
      : state.refreshTokens.get(form.get('refresh_token') ?? '')?.user;
  const hit = injected(state, 'token', clientId, peek?.email, grant);
  if (hit) return hit;
  const ctx = { grant, clientId, user: peek?.email };
  const client = state.config.googleClients.find((c) => c.clientId === clientId);
  if (!client) return refuse(state, 'invalid_client', 'The OAuth client was not found.', ctx);
  if (client.clientSecret && secret !== client.clientSecret)
    return refuse(state, 'invalid_client', 'Unauthorized', ctx);
  const ok = (body: Record<string, unknown>, user: TestUser, scopes: readonly string[]) => {
    state.events.record({ kind: 'grant', flavour: 'google', grant, clientId, user: user.email, scopes });
    return json(200, body);
  };

  if (grant === 'authorization_code') {
    const rec = state.codes.get(form.get('code') ?? '');
    if (rec?.flavour !== 'google' || rec.clientId !== clientId)
      return refuse(state, 'invalid_grant', 'Malformed auth code.', ctx);
    if (rec.redeemed || rec.expiresAt <= state.now())
      return refuse(state, 'invalid_grant', 'Bad Request', ctx);
    if ((form.get('redirect_uri') ?? '') !== rec.redirectUri)
      return refuse(state, 'redirect_uri_mismatch', 'Bad Request', ctx);
    if (rec.codeChallenge) {
      const verifier = form.get('code_verifier');
      if (!verifier) return refuse(state, 'invalid_grant', 'Missing code verifier.', ctx);
      if (createHash('sha256').update(verifier).digest('base64url') !== rec.codeChallenge)
        return refuse(state, 'invalid_grant', 'Invalid code verifier.', ctx);
    }
    rec.redeemed = true;
    const body = mint(state, base, clientId, { user: rec.user }, rec.scopes, rec.nonce);
    if (rec.offline) body.refresh_token = newRefreshToken(state, clientId, rec.user, rec.scopes);
    body.refresh_token_expires_in = rec.offline ? state.config.lifetimes.refreshToken : undefined;
    return ok(body, rec.user, rec.scopes);
  }

  if (grant === 'refresh_token') {
    const rec = state.refreshTokens.get(form.get('refresh_token') ?? '');
    if (
      rec?.flavour !== 'google' ||
      rec.clientId !== clientId ||
      rec.invalid ||
      rec.expiresAt <= state.now()
    ) {
      return refuse(state, 'invalid_grant', 'Token has been expired or revoked.', ctx);
    }
    const body = mint(state, base, clientId, { user: rec.user }, rec.scopes);
    if (state.config.googleRotatesRefreshTokens) {
      rec.invalid = 'rotated';
      body.refresh_token = newRefreshToken(state, clientId, rec.user, rec.scopes);
    }
    return ok(body, rec.user, rec.scopes);
  }
  return refuse(state, 'unsupported_grant_type', `Invalid grant_type: ${grant}`, ctx);
}

/** Service accounts (RFC 7523): signature against the registered key, `sub` only with domain-wide delegation. */
function jwtBearer(state: IdentityState, form: URLSearchParams, base: string): HttpReply {
  const grant = 'jwt-bearer';
  const jwt = decodeJwt(form.get('assertion') ?? '');
  const iss = typeof jwt?.claims.iss === 'string' ? jwt.claims.iss : undefined;
  const sub = typeof jwt?.claims.sub === 'string' ? jwt.claims.sub : undefined;
  const sa = state.config.googleServiceAccounts.find((s) => s.clientEmail === iss);
  const hit = injected(state, 'token', sa?.clientId ?? iss, sub, grant, iss);
  if (hit) return hit;
  const ctx = { grant, clientId: iss, user: sub };
  if (!jwt)
    return refuse(
      state,
      'invalid_grant',
      'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      ctx,
    );
  if (!sa) return refuse(state, 'invalid_grant', 'Invalid grant: account not found', ctx);
  if (!verifyJwtSignature(jwt, sa.publicKeyPem))
    return refuse(state, 'invalid_grant', 'Invalid JWT Signature.', ctx);
  const { aud, exp, iat } = jwt.claims;
  const now = state.now();
  if (
    typeof exp !== 'number' ||
    typeof iat !== 'number' ||
    exp <= now ||
    exp - iat > 3600 ||
    iat > now + 300
  ) {
    return refuse(
      state,
      'invalid_grant',
      'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      ctx,
    );
  }
  if (typeof aud !== 'string' || ![...REAL_TOKEN_URLS, `${base}/token`].includes(aud))
    return refuse(state, 'invalid_grant', 'Invalid JWT: Failed audience check.', ctx);
  const scopes = String(jwt.claims.scope ?? '')
    .split(/\s+/)
    .filter(Boolean);
  if (scopes.length === 0)
    return refuse(state, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.', ctx);
  let user: TestUser | undefined;
  if (sub && sub !== sa.clientEmail) {
    if (!scopes.every((s) => sa.domainWideDelegation.includes(s))) {
      return refuse(
        state,
        'unauthorized_client',
        'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
        ctx,
      );
    }
    user = state.findUser(sub);
    if (!user) return refuse(state, 'invalid_grant', 'Invalid email or User ID', ctx);
  }
  state.events.record({
    kind: 'grant',
    flavour: 'google',
    grant,
    clientId: sa.clientEmail,
    user: user?.email,
    scopes,
  });
  return json(200, mint(state, base, sa.clientId, { user, sa }, scopes));
}
