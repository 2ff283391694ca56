/**
 * Google OAuth 2.0 endpoints under a path prefix (`/google`): auth, token (in `google-tokens.ts`),
 * revoke, tokeninfo, userinfo, discovery and certs. Access tokens are opaque like Google's
 * (`ya29.`); the emulator remembers what each one stands for.
 */
import type { IncomingMessage } from 'node:http';
import type { GoogleServiceAccount } from './config.js';
import { approve, errorPage, renderConsentPage } from './consent.js';
import { googleError, type HttpReply } from './errors.js';
import { googleToken, injected } from './google-tokens.js';
import { bearerToken, json, redirect, redirectUriAllowed, withQuery } from './http.js';
import { jwkOf, newId } from './jwt.js';
import type { IdentityState } from './state.js';

export const GOOGLE_PREFIX = '/google';
export const GOOGLE_MAIL_SCOPE = 'https://mail.google.com/';

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
      return googleToken(state, req, form, base);
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
