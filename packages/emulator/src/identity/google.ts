/**
 * Google OAuth 2.0 endpoints under a path prefix (`/google`): auth, token (code, refresh_token,
 * service-account JWT bearer), revoke, tokeninfo, userinfo, discovery and certs. Access tokens
 * are opaque like Google's (`ya29.`); the emulator remembers what each one stands for.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { GoogleServiceAccount, TestUser } from './config.js';
import { approve, errorPage, renderConsentPage } from './consent.js';
import { type GoogleErrorName, googleError, type HttpReply } from './errors.js';
import { basicCredentials, bearerToken, json, redirect, redirectUriAllowed, withQuery } from './http.js';
import { decodeJwt, jwkOf, newId, signJwt, verifyJwtSignature } from './jwt.js';
import type { IdentityState } from './state.js';

export const GOOGLE_PREFIX = '/google';
export const GOOGLE_MAIL_SCOPE = 'https://mail.google.com/';
const REAL_TOKEN_URLS = [
  'https://oauth2.googleapis.com/token',
  'https://accounts.google.com/o/oauth2/token',
  'https://www.googleapis.com/oauth2/v4/token',
];

export function handleGoogle(
  state: IdentityState,
  req: IncomingMessage,
  url: URL,
  origin: string,
  form: URLSearchParams,
): HttpReply {
  const path = url.pathname.slice(GOOGLE_PREFIX.length);
  const base = `${origin}${GOOGLE_PREFIX}`;
  switch (path) {
    case '/.well-known/openid-configuration':
      return json(200, {
        issuer: base,
        authorization_endpoint: `${base}/o/oauth2/v2/auth`,
        device_authorization_endpoint: `${base}/device/code`,
        token_endpoint: `${base}/token`,
        userinfo_endpoint: `${base}/v1/userinfo`,
        revocation_endpoint: `${base}/revoke`,
        jwks_uri: `${base}/oauth2/v3/certs`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', 'email', 'profile'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
        code_challenge_methods_supported: ['plain', 'S256'],
        grant_types_supported: [
          'authorization_code',
          'refresh_token',
          'urn:ietf:params:oauth:grant-type:jwt-bearer',
        ],
      });
    case '/oauth2/v3/certs':
    case '/oauth2/v1/certs':
      return json(200, { keys: [jwkOf(state.key)] });
    case '/o/oauth2/v2/auth':
    case '/o/oauth2/auth':
      return authorize(state, url);
    case '/token':
      return token(state, req, form, base);
    case '/revoke':
      return revoke(state, url, form);
    case '/tokeninfo':
    case '/oauth2/v3/tokeninfo':
      return tokenInfo(state, url, req, form);
    case '/v1/userinfo':
    case '/oauth2/v3/userinfo':
    case '/userinfo':
      return userInfo(state, url, req);
    default:
      return json(404, { error: 'not_found', error_description: `No Google endpoint at ${url.pathname}.` });
  }
}

function refuse(
  state: IdentityState,
  error: GoogleErrorName,
  description: string | undefined,
  ctx: { grant?: string; clientId?: string; user?: string },
): HttpReply {
  state.events.record({ kind: 'grant-refused', flavour: 'google', ...ctx, error });
  return googleError(error, description);
}

function injected(
  state: IdentityState,
  endpoint: string,
  clientId?: string,
  user?: string,
  grant?: string,
): HttpReply | undefined {
  const hit = state.injections.take('google', { endpoint, clientId, user });
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

function authorize(state: IdentityState, url: URL): HttpReply {
  const q = url.searchParams;
  const clientId = q.get('client_id') ?? '';
  const client = state.config.googleClients.find((c) => c.clientId === clientId);
  if (!client)
    return errorPage(
      'Access blocked: Authorization Error',
      'Error 401: invalid_client. The OAuth client was not found.',
      401,
    );
  const redirectUri = q.get('redirect_uri') ?? '';
  if (!redirectUriAllowed(client.redirectUris, redirectUri)) {
    return errorPage(
      'Access blocked: This app’s request is invalid',
      `Error 400: redirect_uri_mismatch. You can't sign in because this app sent an invalid request (redirect_uri=${redirectUri}).`,
    );
  }
  const stateParam = q.get('state') ?? undefined;
  const hit = injected(state, 'authorize', clientId, q.get('login_hint') ?? undefined);
  if (hit)
    return redirect(
      withQuery(redirectUri, { error: (hit.body as { error: string }).error, state: stateParam }),
    );
  if (q.get('response_type') !== 'code')
    return redirect(withQuery(redirectUri, { error: 'unsupported_response_type', state: stateParam }));
  const challenge = q.get('code_challenge') ?? undefined;
  if (challenge && (q.get('code_challenge_method') ?? 'plain') !== 'S256') {
    return redirect(
      withQuery(redirectUri, {
        error: 'invalid_request',
        error_description: 'code_challenge_method plain is refused by this emulator; use S256.',
        state: stateParam,
      }),
    );
  }
  const scopes = (q.get('scope') ?? '').split(/\s+/).filter(Boolean);
  if (scopes.length === 0)
    return redirect(
      withQuery(redirectUri, {
        error: 'invalid_scope',
        error_description: 'Missing required parameter: scope',
        state: stateParam,
      }),
    );
  const pending = {
    id: newId(),
    flavour: 'google' as const,
    clientId,
    clientName: clientId.split('.')[0] ?? clientId,
    tenant: 'google',
    redirectUri,
    scopes,
    state: stateParam,
    nonce: q.get('nonce') ?? undefined,
    codeChallenge: challenge,
    loginHint: q.get('login_hint') ?? undefined,
    offline: q.get('access_type') === 'offline',
    granular: true,
  };
  state.pending.set(pending.id, pending);
  const auto = state.autoApprovedUser(pending.loginHint);
  if (auto) return approve(state, pending, auto, scopes);
  return renderConsentPage(state, pending);
}

function mint(
  state: IdentityState,
  base: string,
  clientId: string,
  who: { user?: TestUser; sa?: GoogleServiceAccount },
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

function token(state: IdentityState, req: IncomingMessage, form: URLSearchParams, base: string): HttpReply {
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
  const hit = injected(state, 'token', sa?.clientId ?? iss, sub, grant);
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

function revoke(state: IdentityState, url: URL, form: URLSearchParams): HttpReply {
  const value = url.searchParams.get('token') ?? form.get('token') ?? '';
  const hit = injected(state, 'revoke');
  if (hit) return hit;
  const refresh = state.refreshTokens.get(value);
  const access = state.googleTokens.get(value);
  if (refresh?.flavour !== 'google' && !access)
    return googleError('invalid_token', 'Token expired or revoked', 400);
  // Revoking either token ends the whole grant, as at Google.
  const clientId = refresh?.clientId ?? access?.clientId;
  const user = refresh?.user ?? access?.user;
  for (const r of state.refreshTokens.values())
    if (r.flavour === 'google' && r.clientId === clientId && r.user === user) r.invalid = 'revoked';
  for (const t of state.googleTokens.values())
    if (t.clientId === clientId && t.user === user) t.revoked = true;
  state.events.record({ kind: 'revoked', flavour: 'google', clientId, user: user?.email });
  return json(200, {});
}

function tokenInfo(state: IdentityState, url: URL, req: IncomingMessage, form: URLSearchParams): HttpReply {
  const value = url.searchParams.get('access_token') ?? form.get('access_token') ?? bearerToken(req) ?? '';
  const hit = injected(state, 'tokeninfo');
  if (hit) return hit;
  const rec = state.googleTokens.get(value);
  if (!rec || rec.revoked || rec.expiresAt <= state.now())
    return googleError('invalid_token', 'Invalid Value', 400);
  return json(200, {
    azp: rec.clientId,
    aud: rec.clientId,
    sub: rec.user?.id ?? rec.serviceAccount?.clientId,
    scope: rec.scopes.join(' '),
    exp: String(rec.expiresAt),
    expires_in: String(rec.expiresAt - state.now()),
    ...(rec.user ? { email: rec.user.email, email_verified: 'true' } : {}),
    access_type: 'offline',
  });
}

function userInfo(state: IdentityState, url: URL, req: IncomingMessage): HttpReply {
  const value = bearerToken(req) ?? url.searchParams.get('access_token') ?? '';
  const hit = injected(state, 'userinfo');
  if (hit) return hit;
  const rec = state.googleTokens.get(value);
  if (!rec?.user || rec.revoked || rec.expiresAt <= state.now()) {
    return json(
      401,
      { error: 'invalid_request', error_description: 'Invalid Credentials' },
      { 'www-authenticate': 'Bearer error="invalid_token"' },
    );
  }
  return json(200, {
    sub: rec.user.id,
    email: rec.user.email,
    email_verified: true,
    name: rec.user.displayName,
  });
}

/** A service-account key file in Google's JSON format, pointing `token_uri` at the emulator. */
export function serviceAccountKeyJson(sa: GoogleServiceAccount, googleBase: string): Record<string, string> {
  if (!sa.privateKeyPem)
    throw new TypeError(`Service account ${sa.clientEmail} was registered without its private key.`);
  const project = sa.clientEmail.split('@')[1]?.split('.')[0] ?? 'emulator-project';
  return {
    type: 'service_account',
    project_id: project,
    private_key_id: sa.privateKeyId,
    private_key: sa.privateKeyPem,
    client_email: sa.clientEmail,
    client_id: sa.clientId,
    auth_uri: `${googleBase}/o/oauth2/auth`,
    token_uri: `${googleBase}/token`,
    auth_provider_x509_cert_url: `${googleBase}/oauth2/v1/certs`,
    client_x509_cert_url: `${googleBase}/robot/v1/metadata/x509/${encodeURIComponent(sa.clientEmail)}`,
    universe_domain: 'googleapis.com',
  };
}
