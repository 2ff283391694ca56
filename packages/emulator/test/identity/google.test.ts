import { JWT, type OAuth2Client } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkMailAccess,
  createEmulatorAgent,
  DEFAULT_IDS,
  type Emulator,
  GOOGLE_MAIL_SCOPE,
  redirectGoogleRequests,
  startEmulator,
} from '../../src/index.js';
import { emulatorGoogleClient, httpsRequest, pkceAuthUrl, spyOnOutboundSockets } from './helpers.js';

const REDIRECT = 'http://127.0.0.1:8085/callback';
let emulator: Emulator;
let spy: ReturnType<typeof spyOnOutboundSockets>;

const client = () => emulatorGoogleClient(emulator, REDIRECT);

async function consent(url: string, untick: string[] = []): Promise<URLSearchParams> {
  const page = await httpsRequest(emulator.caCertPem, url);
  expect(page.status).toBe(200);
  expect(page.body).toContain(GOOGLE_MAIL_SCOPE);
  const txn = /name="txn" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const scopes = [...page.body.matchAll(/name="scope" value="([^"]+)"/g)]
    .map((m) => m[1] ?? '')
    .filter((s) => !untick.includes(s));
  const form = new URLSearchParams({ txn, user: 'bob@contoso.test', decision: 'approve' });
  for (const s of scopes) form.append('scope', s);
  return fetchForm(`${emulator.urls.https}/consent`, form);
}

async function fetchForm(url: string, form: URLSearchParams): Promise<URLSearchParams> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca: emulator.caCertPem,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(new URL(String(res.headers.location)).searchParams));
      },
    );
    req.on('error', reject);
    req.end(form.toString());
  });
}

/** Forces a refresh-token grant through the public API. */
function refreshWith(oauth: OAuth2Client, refreshToken: string) {
  oauth.setCredentials({ refresh_token: refreshToken });
  return oauth.getAccessToken();
}

beforeAll(async () => {
  spy = spyOnOutboundSockets();
  emulator = await startEmulator({ mail: false, identity: { lifetimes: { accessToken: 60 } } });
});

afterAll(async () => {
  await emulator.stop();
  spy.restore();
});

describe('google-auth-library against the emulator', () => {
  it('auth code + PKCE through the consent page, refresh, tokeninfo, revoke', async () => {
    const oauth = client();
    const { url, verifier: codeVerifier } = await pkceAuthUrl(oauth, {
      access_type: 'offline',
      prompt: 'consent',
      scope: [GOOGLE_MAIL_SCOPE, 'openid', 'email'],
      state: 'g-state',
      login_hint: 'bob@contoso.test',
    });
    const back = await consent(url);
    expect(back.get('state')).toBe('g-state');
    const { tokens } = await oauth.getToken({ code: back.get('code') ?? '', codeVerifier });
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.scope?.split(' ')).toContain(GOOGLE_MAIL_SCOPE);
    oauth.setCredentials(tokens);
    // 60 s lifetime is inside the library's 5-minute eager refresh window: getAccessToken refreshes.
    const refreshed = await oauth.getAccessToken();
    expect(refreshed.token).not.toBe(tokens.access_token);
    expect(oauth.credentials.refresh_token).toBe(tokens.refresh_token); // Google does not rotate by default
    const info = await oauth.getTokenInfo(refreshed.token ?? '');
    expect(info).toMatchObject({ email: 'bob@contoso.test', aud: DEFAULT_IDS.googleClientId });
    expect(info.scopes).toContain(GOOGLE_MAIL_SCOPE);
    const validated = await emulator.identity.validateAccessToken(refreshed.token ?? '');
    expect(checkMailAccess(validated, 'imap').ok).toBe(true);
    await oauth.revokeToken(tokens.refresh_token ?? '');
    const error = await refreshWith(oauth, tokens.refresh_token ?? '').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { response?: { data: unknown } }).response?.data).toEqual({
      error: 'invalid_grant',
      error_description: 'Token has been expired or revoked.',
    });
    expect((await emulator.identity.validateAccessToken(refreshed.token ?? '')).active).toBe(false);
  });

  it('granular consent: unticking the mail scope yields a token without mail access', async () => {
    const oauth = client();
    const url = oauth.generateAuthUrl({ access_type: 'offline', scope: [GOOGLE_MAIL_SCOPE, 'email'] });
    const back = await consent(url, [GOOGLE_MAIL_SCOPE]);
    const { tokens } = await oauth.getToken(back.get('code') ?? '');
    expect(tokens.scope).toBe('email');
    expect(
      checkMailAccess(await emulator.identity.validateAccessToken(tokens.access_token ?? ''), 'smtp').ok,
    ).toBe(false);
  });

  it('bad requests get Google-shaped errors: missing verifier, redirect mismatch, reused code', async () => {
    const oauth = client();
    const { url, verifier: codeVerifier } = await pkceAuthUrl(oauth, { scope: [GOOGLE_MAIL_SCOPE] });
    const code = (await consent(url)).get('code') ?? '';
    const data = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: { response?: { data: unknown } }) => e.response?.data,
      );
    expect(await data(oauth.getToken({ code }))).toEqual({
      error: 'invalid_grant',
      error_description: 'Missing code verifier.',
    });
    expect(
      await data(oauth.getToken({ code, codeVerifier, redirect_uri: 'http://127.0.0.1:1/other' })),
    ).toMatchObject({ error: 'redirect_uri_mismatch' });
    await oauth.getToken({ code, codeVerifier });
    expect(await data(oauth.getToken({ code, codeVerifier }))).toMatchObject({ error: 'invalid_grant' });
  });

  it('injected errors arrive in the gaxios error response data', async () => {
    const oauth = client();
    emulator.inject.google({ error: 'invalid_client', clientId: DEFAULT_IDS.googleClientId });
    const e1 = await refreshWith(oauth, 'anything').then(
      () => undefined,
      (e: { response?: { status: number; data: unknown } }) => e.response,
    );
    expect(e1).toMatchObject({
      status: 401,
      data: { error: 'invalid_client', error_description: 'The OAuth client was not found.' },
    });
    // gaxios retries a 503 on the token endpoint: the injected fault is served once, the retry
    // reaches the real logic (an unknown refresh token -> invalid_grant).
    const outage = emulator.inject.google({ status: 503 });
    const e2 = await refreshWith(oauth, 'anything').then(
      () => undefined,
      (e: { response?: { status: number } }) => e.response?.status,
    );
    expect(outage.hits).toBe(1);
    expect(e2).toBe(400);
  });

  it('service account JWT bearer: impersonation only with domain-wide delegation for the scope', async () => {
    const key = emulator.identity.serviceAccountKey(
      DEFAULT_IDS.googleServiceAccount,
      emulator.urls.googleBase,
    );
    expect(key).toMatchObject({ type: 'service_account', client_email: DEFAULT_IDS.googleServiceAccount });
    const { client_email: email, private_key: pem, private_key_id: keyId } = key;
    if (!email || !pem || !keyId) throw new Error('incomplete service-account key');
    const agent = createEmulatorAgent(emulator.caCertPem);
    const make = (scopes: string[]) => {
      const jwt = new JWT({
        email,
        key: pem,
        keyId,
        scopes,
        subject: 'alice@contoso.test',
        transporterOptions: { agent },
      });
      redirectGoogleRequests(jwt, emulator.urls.googleBase);
      return jwt;
    };
    const { token } = await make([GOOGLE_MAIL_SCOPE]).getAccessToken();
    const info = await emulator.identity.validateAccessToken(token ?? '');
    expect(info).toMatchObject({ active: true, username: 'alice@contoso.test' });
    const refused = await make(['https://www.googleapis.com/auth/gmail.send'])
      .getAccessToken()
      .then(
        () => undefined,
        (e: { response?: { data: unknown } }) => e.response?.data,
      );
    expect(refused).toMatchObject({ error: 'unauthorized_client' });
  });

  it('every request stayed on loopback', () => {
    expect(spy.outbound).toEqual([]);
    expect(emulator.requests.filter((r) => r.path.startsWith('/google/token')).length).toBeGreaterThan(5);
  });
});
