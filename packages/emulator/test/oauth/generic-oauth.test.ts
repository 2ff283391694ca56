/**
 * The generic OAuth 2.0 / OIDC server: standard flows with google-auth-library's PKCE helper and
 * raw requests, token lifecycle (rotation, replay, revocation, introspection), and each quirk.
 */
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OAUTH_IDS, type Emulator, startEmulator } from '../../src/index.js';
import { decodeJwtClaims } from '../identity/helpers.js';
import { bearer, response, wire } from '../wire.js';

const REDIRECT = 'http://127.0.0.1:9001/callback';
const CONFIDENTIAL = { id: DEFAULT_OAUTH_IDS.clientId, secret: DEFAULT_OAUTH_IDS.clientSecret };
let emulator: Emulator;

const basic = (id: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
});

async function post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return response(
    await wire(url, {
      method: 'POST',
      ca: emulator.caCertPem,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    }),
  );
}

const get = async (url: string, headers: Record<string, string> = {}) =>
  response(await wire(url, { ca: emulator.caCertPem, headers }));

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Authorize (auto-approved) and return the redirect's query. */
async function authorize(params: Record<string, string>): Promise<URLSearchParams> {
  const res = await get(
    `${emulator.urls.oauth.authorization}?${new URLSearchParams({ response_type: 'code', redirect_uri: REDIRECT, ...params })}`,
  );
  expect(res.status).toBe(302);
  return new URL(String(res.headers.location)).searchParams;
}

/** Signs alice in with the public client and returns the token response. */
async function signIn(scope = 'openid email mail', clientId = DEFAULT_OAUTH_IDS.publicClientId) {
  const { verifier, challenge } = pkce();
  const back = await authorize({
    client_id: clientId,
    scope,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 's1',
    nonce: 'n1',
  });
  expect(back.get('state')).toBe('s1');
  expect(back.get('iss')).toBe(emulator.urls.oauth.issuer);
  const res = await post(emulator.urls.oauth.token, {
    grant_type: 'authorization_code',
    client_id: clientId,
    code: back.get('code') ?? '',
    redirect_uri: REDIRECT,
    code_verifier: verifier,
  });
  expect(res.status).toBe(200);
  return res.json() as Record<string, string | number>;
}

const introspect = async (token: string) =>
  (
    await post(emulator.urls.oauth.introspection, { token }, basic(CONFIDENTIAL.id, CONFIDENTIAL.secret))
  ).json();

const refresh = (token: string, clientId = DEFAULT_OAUTH_IDS.publicClientId) =>
  post(emulator.urls.oauth.token, { grant_type: 'refresh_token', client_id: clientId, refresh_token: token });

beforeAll(async () => {
  emulator = await startEmulator({ mail: false, identity: { autoApprove: 'first-user' } });
});

afterAll(async () => {
  await emulator.stop();
});

afterEach(() => {
  emulator.oauth.setQuirks({
    errorsWithStatus200: false,
    scopeSeparator: ' ',
    expiresInField: 'expires_in',
    revocation: 'works',
  });
  emulator.oauth.setRefreshTokenRotation(true);
});

describe('standard flows', () => {
  it('publishes OIDC discovery and RFC 8414 metadata for its issuer', async () => {
    const oidc = (await get(emulator.urls.oauth.discovery)).json();
    expect(oidc).toMatchObject({
      issuer: emulator.urls.oauth.issuer,
      token_endpoint: emulator.urls.oauth.token,
      revocation_endpoint: emulator.urls.oauth.revocation,
      introspection_endpoint: emulator.urls.oauth.introspection,
      code_challenge_methods_supported: ['S256'],
    });
    const rfc8414 = (await get(`${emulator.urls.https}/.well-known/oauth-authorization-server/oauth`)).json();
    expect(rfc8414.issuer).toBe(emulator.urls.oauth.issuer);
  });

  it('authorization code + PKCE: opaque tokens, an ID token signed with the published key, userinfo', async () => {
    const tokens = await signIn();
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'openid email mail' });
    expect(String(tokens.access_token)).toMatch(/^gat_/);
    expect(String(tokens.refresh_token)).toMatch(/^grt_/);
    const idToken = String(tokens.id_token);
    const [h, c, s] = idToken.split('.') as [string, string, string];
    const { keys } = (await get(emulator.urls.oauth.jwks)).json() as { keys: Record<string, string>[] };
    const key = createPublicKey({ key: keys[0] as never, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${h}.${c}`), key, Buffer.from(s, 'base64url'))).toBe(true);
    expect(decodeJwtClaims(idToken)).toMatchObject({
      iss: emulator.urls.oauth.issuer,
      aud: DEFAULT_OAUTH_IDS.publicClientId,
      email: 'alice@contoso.test',
      nonce: 'n1',
    });
    const me = (await get(emulator.urls.oauth.userinfo, bearer(String(tokens.access_token)))).json();
    expect(me).toMatchObject({ email: 'alice@contoso.test', email_verified: true });
    expect(emulator.oauth.validateAccessToken(String(tokens.access_token))).toMatchObject({
      active: true,
      username: 'alice@contoso.test',
      scopes: ['openid', 'email', 'mail'],
    });
  });

  it('refuses what RFC 6749 / 7636 refuse: missing PKCE, wrong verifier, a code used twice (which revokes its tokens)', async () => {
    const noPkce = await authorize({
      client_id: DEFAULT_OAUTH_IDS.publicClientId,
      scope: 'mail',
      state: 'x',
    });
    expect(noPkce.get('error')).toBe('invalid_request');
    expect(noPkce.get('state')).toBe('x');
    const { verifier, challenge } = pkce();
    const back = await authorize({
      client_id: CONFIDENTIAL.id,
      scope: 'mail',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const redeem = (v: string) =>
      post(
        emulator.urls.oauth.token,
        {
          grant_type: 'authorization_code',
          code: back.get('code') ?? '',
          redirect_uri: REDIRECT,
          code_verifier: v,
        },
        basic(CONFIDENTIAL.id, CONFIDENTIAL.secret),
      );
    expect((await redeem('wrong-verifier')).json()).toMatchObject({ error: 'invalid_grant' });
    const first = (await redeem(verifier)).json();
    expect(first.access_token).toEqual(expect.any(String));
    expect((await redeem(verifier)).json()).toMatchObject({ error: 'invalid_grant' });
    expect(await introspect(String(first.access_token))).toEqual({ active: false });
  });

  it('refresh with rotation: the old refresh token is refused and replaying it revokes the whole grant', async () => {
    const tokens = await signIn('mail');
    const rotated = (await refresh(String(tokens.refresh_token))).json();
    expect(rotated.refresh_token).not.toBe(tokens.refresh_token);
    expect(await introspect(String(rotated.access_token))).toMatchObject({ active: true });
    const replay = await refresh(String(tokens.refresh_token));
    expect(replay.status).toBe(400);
    expect(replay.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await refresh(String(rotated.refresh_token))).json()).toMatchObject({ error: 'invalid_grant' });
    expect(await introspect(String(rotated.access_token))).toEqual({ active: false });
  });

  it('refresh without rotation: the same refresh token keeps working and none is returned', async () => {
    emulator.oauth.setRefreshTokenRotation(false);
    const tokens = await signIn('mail');
    for (let i = 0; i < 2; i++) {
      const again = (await refresh(String(tokens.refresh_token))).json();
      expect(again.access_token).toEqual(expect.any(String));
      expect(again.refresh_token).toBeUndefined();
    }
    expect(emulator.oauth.expireRefreshTokens('alice@contoso.test')).toBeGreaterThan(0);
    expect((await refresh(String(tokens.refresh_token))).json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('client credentials (Basic and form auth), wrong secret is 401 invalid_client, public clients may not', async () => {
    const viaBasic = await post(
      emulator.urls.oauth.token,
      { grant_type: 'client_credentials', scope: 'mail' },
      basic(CONFIDENTIAL.id, CONFIDENTIAL.secret),
    );
    expect(viaBasic.json()).toMatchObject({ token_type: 'Bearer', scope: 'mail' });
    expect(viaBasic.json().refresh_token).toBeUndefined();
    expect(await introspect(String(viaBasic.json().access_token))).toMatchObject({
      active: true,
      client_id: CONFIDENTIAL.id,
      sub: CONFIDENTIAL.id,
    });
    const viaForm = await post(emulator.urls.oauth.token, {
      grant_type: 'client_credentials',
      client_id: CONFIDENTIAL.id,
      client_secret: CONFIDENTIAL.secret,
    });
    expect(viaForm.status).toBe(200);
    const wrong = await post(
      emulator.urls.oauth.token,
      { grant_type: 'client_credentials' },
      basic(CONFIDENTIAL.id, 'nope'),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Basic realm="oauth"');
    expect(wrong.json()).toMatchObject({ error: 'invalid_client' });
    const pub = await post(emulator.urls.oauth.token, {
      grant_type: 'client_credentials',
      client_id: DEFAULT_OAUTH_IDS.publicClientId,
    });
    expect(pub.json()).toMatchObject({ error: 'unauthorized_client' });
  });

  it('RFC 7009 revocation: a refresh token ends the grant, an access token only itself, unknown tokens answer 200', async () => {
    const a = await signIn('mail');
    const revokeWith = (token: string) =>
      post(emulator.urls.oauth.revocation, { token, client_id: DEFAULT_OAUTH_IDS.publicClientId });
    expect((await revokeWith(String(a.access_token))).status).toBe(200);
    expect(await introspect(String(a.access_token))).toEqual({ active: false });
    expect(await introspect(String(a.refresh_token))).toMatchObject({
      active: true,
      token_type: 'refresh_token',
    });
    const b = await signIn('mail');
    expect((await revokeWith(String(b.refresh_token))).status).toBe(200);
    expect(await introspect(String(b.access_token))).toEqual({ active: false });
    expect((await refresh(String(b.refresh_token))).json()).toMatchObject({ error: 'invalid_grant' });
    expect((await revokeWith('never-issued')).status).toBe(200);
    expect(emulator.events.list({ flavour: 'oauth', kind: 'revoked' }).length).toBe(2);
  });

  it('RFC 7662 introspection needs an authenticated confidential client', async () => {
    const { access_token } = await signIn('mail');
    const anonymous = await post(emulator.urls.oauth.introspection, { token: String(access_token) });
    expect(anonymous.status).toBe(401);
    expect(await introspect(String(access_token))).toMatchObject({
      active: true,
      scope: 'mail',
      username: 'alice@contoso.test',
      token_type: 'Bearer',
      iss: emulator.urls.oauth.issuer,
      exp: expect.any(Number),
    });
  });

  it('without auto-approval a person picks the user on a consent page, or denies', async () => {
    emulator.identity.config.autoApprove = false;
    try {
      const { challenge } = pkce();
      const page = await get(
        `${emulator.urls.oauth.authorization}?${new URLSearchParams({ response_type: 'code', client_id: DEFAULT_OAUTH_IDS.publicClientId, redirect_uri: REDIRECT, scope: 'mail', code_challenge: challenge, code_challenge_method: 'S256', state: 'p' })}`,
      );
      expect(page.status).toBe(200);
      const txn = /name="txn" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
      const approved = await post(emulator.urls.oauth.authorization, {
        txn,
        user: 'bob@contoso.test',
        decision: 'approve',
      });
      const back = new URL(String(approved.headers.location)).searchParams;
      expect(back.get('code')).toMatch(/^gac_/);
      expect(back.get('state')).toBe('p');
      expect(emulator.events.list({ flavour: 'oauth', kind: 'sign-in' }).at(-1)?.user).toBe(
        'bob@contoso.test',
      );
      const again = await get(
        `${emulator.urls.oauth.authorization}?${new URLSearchParams({ response_type: 'code', client_id: DEFAULT_OAUTH_IDS.publicClientId, redirect_uri: REDIRECT, scope: 'mail', code_challenge: challenge, code_challenge_method: 'S256' })}`,
      );
      const txn2 = /name="txn" value="([^"]+)"/.exec(again.body)?.[1] ?? '';
      const denied = await post(emulator.urls.oauth.authorization, { txn: txn2, decision: 'deny' });
      expect(new URL(String(denied.headers.location)).searchParams.get('error')).toBe('access_denied');
    } finally {
      emulator.identity.config.autoApprove = 'first-user';
    }
  });
});

describe('quirks', () => {
  it('errorsWithStatus200: token errors come back as HTTP 200 with { error }', async () => {
    emulator.oauth.setQuirks({ errorsWithStatus200: true });
    const res = await refresh('grt_unknown');
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ error: 'invalid_grant' });
    expect(res.json().access_token).toBeUndefined();
  });

  it('comma-separated scopes and a non-standard expiry field name', async () => {
    emulator.oauth.setQuirks({ scopeSeparator: ',', expiresInField: 'expires' });
    const tokens = await signIn('mail,profile');
    expect(tokens.scope).toBe('mail,profile');
    expect(tokens.expires).toBe(3600);
    expect(tokens.expires_in).toBeUndefined();
  });

  it('revocation that fails (503, token stays valid), is ignored (200, token stays valid) or does not exist (404)', async () => {
    const { access_token } = await signIn('mail');
    const revoke = () =>
      post(emulator.urls.oauth.revocation, {
        token: String(access_token),
        client_id: DEFAULT_OAUTH_IDS.publicClientId,
      });
    emulator.oauth.setQuirks({ revocation: 'fails' });
    const failed = await revoke();
    expect(failed.status).toBe(503);
    expect(failed.json()).toMatchObject({ error: 'temporarily_unavailable' });
    emulator.oauth.setQuirks({ revocation: 'ignored' });
    expect((await revoke()).status).toBe(200);
    expect(await introspect(String(access_token))).toMatchObject({ active: true });
    emulator.oauth.setQuirks({ revocation: 'unsupported' });
    expect((await revoke()).status).toBe(404);
    expect((await get(emulator.urls.oauth.discovery)).json().revocation_endpoint).toBeUndefined();
  });

  it('provider-level injected errors on the token endpoint, narrowed by grant', async () => {
    const { refresh_token } = await signIn('mail');
    const rule = emulator.inject.oauth({
      endpoint: 'token',
      grant: 'refresh_token',
      error: 'invalid_grant',
      description: 'Token revoked by admin.',
    });
    const res = await refresh(String(refresh_token));
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ error: 'invalid_grant', error_description: 'Token revoked by admin.' });
    expect(rule.hits).toBe(1);
    expect((await refresh(String(refresh_token))).status).toBe(200);
  });
});
