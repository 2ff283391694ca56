import {
  type AccountInfo,
  type AuthenticationResult,
  ConfidentialClientApplication,
  type Configuration,
  CryptoProvider,
  PublicClientApplication,
} from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkMailAccess,
  createAppCertificate,
  DEFAULT_IDS,
  DEFAULT_TENANT_ID,
  type Emulator,
  startEmulator,
} from '../../src/index.js';
import { decodeJwtClaims, httpsRequest, spyOnOutboundSockets } from './helpers.js';

const SMTP = 'https://outlook.office.com/SMTP.Send';
const IMAP = 'https://outlook.office.com/IMAP.AccessAsUser.All';
const APP_SCOPE = 'https://outlook.office365.com/.default';
const REDIRECT = 'http://localhost:53682/callback';

let emulator: Emulator;
let spy: ReturnType<typeof spyOnOutboundSockets>;

function msalConfig(
  clientId: string,
  auth: Partial<Configuration['auth']> = {},
  tenant = DEFAULT_TENANT_ID,
): Configuration {
  return {
    auth: {
      clientId,
      authority: emulator.urls.microsoftAuthority(tenant),
      knownAuthorities: [emulator.urls.microsoftKnownAuthority],
      authorityMetadata: emulator.urls.microsoftAuthorityMetadata(tenant),
      ...auth,
    },
    system: { networkClient: emulator.msalNetworkClient },
  };
}

/** The signed-in account of a token result (msal types it as nullable). */
function accountOf(result: AuthenticationResult): AccountInfo {
  if (!result.account) throw new Error('msal returned no account');
  return result.account;
}

/** Follows the authorize redirect (auto-approve) and returns the query of the redirect back. */
async function authorize(url: string): Promise<URLSearchParams> {
  const res = await httpsRequest(emulator.caCertPem, url);
  expect(res.status).toBe(302);
  return new URL(String(res.headers.location)).searchParams;
}

async function signIn(
  app: ConfidentialClientApplication | PublicClientApplication,
  scopes: string[],
  extra: { nonce?: string } = {},
) {
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const url = await app.getAuthCodeUrl({
    scopes,
    redirectUri: REDIRECT,
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
    state: 'state-123',
    ...extra,
  });
  const back = await authorize(url);
  expect(back.get('state')).toBe('state-123');
  const code = back.get('code') ?? '';
  return {
    code,
    verifier,
    result: await app.acquireTokenByCode({
      code,
      scopes,
      redirectUri: REDIRECT,
      codeVerifier: verifier,
      ...extra,
    }),
  };
}

beforeAll(async () => {
  spy = spyOnOutboundSockets();
  emulator = await startEmulator({
    mail: false,
    identity: { autoApprove: 'first-user', deviceCodeInterval: 0 },
  });
});

afterAll(async () => {
  await emulator.stop();
  spy.restore();
});

describe('msal-node against the emulator (HTTPS, local CA)', () => {
  it('auth code + PKCE with a confidential client yields an Outlook token, id token nonce and account', async () => {
    const app = new ConfidentialClientApplication(
      msalConfig(DEFAULT_IDS.webAppClientId, { clientSecret: DEFAULT_IDS.webAppSecret }),
    );
    const { result } = await signIn(app, [SMTP, IMAP], { nonce: 'nonce-1' });
    const claims = decodeJwtClaims(result.accessToken);
    expect(claims.aud).toBe('https://outlook.office.com');
    expect(String(claims.scp).split(' ')).toEqual(
      expect.arrayContaining(['SMTP.Send', 'IMAP.AccessAsUser.All']),
    );
    expect(claims.upn).toBe('alice@contoso.test');
    expect(claims.tid).toBe(DEFAULT_TENANT_ID);
    expect(result.account?.username).toBe('alice@contoso.test');
    expect(result.account?.homeAccountId).toBe(`${claims.oid}.${DEFAULT_TENANT_ID}`);
    expect(result.idTokenClaims).toMatchObject({ nonce: 'nonce-1', aud: DEFAULT_IDS.webAppClientId });
    const info = await emulator.identity.validateAccessToken(result.accessToken);
    expect(info).toMatchObject({
      active: true,
      username: 'alice@contoso.test',
      flavour: 'microsoft',
      appOnly: false,
    });
    expect(checkMailAccess(info, 'smtp').ok).toBe(true);
    expect(checkMailAccess(info, 'pop3')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('POP.AccessAsUser.All'),
    });
  });

  it('auth code + PKCE with a public client, then silent refresh rotates the refresh token', async () => {
    const app = new PublicClientApplication(msalConfig(DEFAULT_IDS.publicAppClientId));
    const { result } = await signIn(app, [SMTP]);
    const oldRefresh = Object.values(JSON.parse(app.getTokenCache().serialize()).RefreshToken)[0] as {
      secret: string;
    };
    const refreshed = await app.acquireTokenSilent({
      account: accountOf(result),
      scopes: [SMTP],
      forceRefresh: true,
    });
    expect(refreshed.accessToken).not.toBe(result.accessToken);
    expect(decodeJwtClaims(refreshed.accessToken).scp).toBe('SMTP.Send');
    const newRefresh = Object.values(JSON.parse(app.getTokenCache().serialize()).RefreshToken)[0] as {
      secret: string;
    };
    expect(newRefresh.secret).not.toBe(oldRefresh.secret);
    const reuse = await httpsRequest(
      emulator.caCertPem,
      `${emulator.urls.microsoftAuthority()}/oauth2/v2.0/token`,
      'POST',
      {
        grant_type: 'refresh_token',
        client_id: DEFAULT_IDS.publicAppClientId,
        refresh_token: oldRefresh.secret,
        scope: SMTP,
      },
    );
    expect(reuse.status).toBe(400);
    expect(reuse.json()).toMatchObject({ error: 'invalid_grant', error_codes: [70000] });
  });

  it('device code: msal polls until the user approves on the verification page', async () => {
    const app = new PublicClientApplication(msalConfig(DEFAULT_IDS.publicAppClientId, {}, 'organizations'));
    let seen = '';
    const result = await app.acquireTokenByDeviceCode({
      scopes: [IMAP],
      deviceCodeCallback: (r) => {
        seen = r.message;
        void httpsRequest(emulator.caCertPem, r.verificationUri, 'POST', {
          user_code: r.userCode,
          user: 'bob@contoso.test',
          decision: 'approve',
        });
      },
    });
    expect(seen).toContain('/devicelogin');
    expect(result?.account?.username).toBe('bob@contoso.test');
    expect(decodeJwtClaims(result?.accessToken ?? '').scp).toBe('IMAP.AccessAsUser.All');
    expect(emulator.events.list({ kind: 'device-code-approved' }).at(-1)?.user).toBe('bob@contoso.test');
  });

  it('client credentials with a secret gives an app-only token with roles', async () => {
    const app = new ConfidentialClientApplication(
      msalConfig(DEFAULT_IDS.daemonClientId, { clientSecret: DEFAULT_IDS.daemonSecret }),
    );
    const result = await app.acquireTokenByClientCredential({ scopes: [APP_SCOPE] });
    const claims = decodeJwtClaims(result?.accessToken ?? '');
    expect(claims).toMatchObject({
      aud: 'https://outlook.office365.com',
      idtyp: 'app',
      appid: DEFAULT_IDS.daemonClientId,
    });
    expect(claims.roles).toEqual(['SMTP.SendAsApp', 'IMAP.AccessAsApp', 'POP.AccessAsApp']);
    const info = await emulator.identity.validateAccessToken(result?.accessToken ?? '');
    expect(checkMailAccess(info, 'imap').ok).toBe(true);
  });

  it('client credentials with a certificate (x5t#S256, PS256) and refuses a foreign key', async () => {
    const cert = createAppCertificate('daemon-cert');
    const other = createAppCertificate('attacker');
    const clientId = '5a1e7c00-0000-4000-8000-00000000c001';
    emulator.identity.addMicrosoftApp({
      clientId,
      certificates: [{ certPem: cert.certPem }],
      applicationPermissions: ['SMTP.SendAsApp'],
    });
    const app = new ConfidentialClientApplication(
      msalConfig(clientId, {
        clientCertificate: { thumbprintSha256: cert.thumbprintSha256, privateKey: cert.privateKeyPem },
      }),
    );
    const result = await app.acquireTokenByClientCredential({ scopes: [APP_SCOPE] });
    expect(decodeJwtClaims(result?.accessToken ?? '').roles).toEqual(['SMTP.SendAsApp']);
    const forged = new ConfidentialClientApplication(
      msalConfig(clientId, {
        clientCertificate: { thumbprintSha256: cert.thumbprintSha256, privateKey: other.privateKeyPem },
      }),
    );
    await expect(forged.acquireTokenByClientCredential({ scopes: [APP_SCOPE] })).rejects.toMatchObject({
      errorCode: 'invalid_client',
      errorNo: 700027,
    });
  });

  it.each([700016, 7000215, 7000222, 90002, 65001, 50076, 53003, 50126, 700082, 54005, 70011, 70043])(
    'injected AADSTS%i reaches msal as a ServerError in Microsoft shape',
    async (code) => {
      const app = new ConfidentialClientApplication(
        msalConfig(DEFAULT_IDS.daemonClientId, { clientSecret: DEFAULT_IDS.daemonSecret }),
      );
      const handle = emulator.inject.microsoft({ aadsts: code, clientId: DEFAULT_IDS.daemonClientId });
      const error = await app.acquireTokenByClientCredential({ scopes: [APP_SCOPE] }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(handle.hits).toBe(1);
      expect(error).toMatchObject({
        errorNo: code,
        errorMessage: expect.stringContaining(`AADSTS${code}: `),
      });
      expect([
        'invalid_client',
        'unauthorized_client',
        'invalid_request',
        'invalid_grant',
        'invalid_scope',
      ]).toContain((error as { errorCode: string }).errorCode);
    },
  );

  it('natural errors: wrong secret, expired secret, unknown client, unknown tenant', async () => {
    const expiredId = '5a1e7c00-0000-4000-8000-00000000c002';
    emulator.identity.addMicrosoftApp({
      clientId: expiredId,
      secrets: [{ value: 'old-secret', expiresAt: '2020-01-01' }],
      applicationPermissions: ['SMTP.SendAsApp'],
    });
    const attempt = (clientId: string, clientSecret: string, tenant = DEFAULT_TENANT_ID) =>
      new ConfidentialClientApplication(msalConfig(clientId, { clientSecret }, tenant))
        .acquireTokenByClientCredential({ scopes: [APP_SCOPE] })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
    expect(await attempt(DEFAULT_IDS.daemonClientId, 'not-the-secret')).toMatchObject({
      errorCode: 'invalid_client',
      errorNo: 7000215,
    });
    expect(await attempt(expiredId, 'old-secret')).toMatchObject({
      errorCode: 'invalid_client',
      errorNo: 7000222,
    });
    expect(await attempt('00000000-0000-4000-8000-0000000000ff', 'x')).toMatchObject({
      errorCode: 'unauthorized_client',
      errorNo: 700016,
    });
    const unknownTenant = await httpsRequest(
      emulator.caCertPem,
      `${emulator.urls.https}/11111111-2222-4333-8444-555555555555/oauth2/v2.0/token`,
      'POST',
      {
        grant_type: 'client_credentials',
        client_id: DEFAULT_IDS.daemonClientId,
        client_secret: DEFAULT_IDS.daemonSecret,
        scope: APP_SCOPE,
      },
    );
    expect(unknownTenant.json()).toMatchObject({ error: 'invalid_request', error_codes: [90002] });
    const common = await httpsRequest(
      emulator.caCertPem,
      `${emulator.urls.https}/common/oauth2/v2.0/token`,
      'POST',
      {
        grant_type: 'client_credentials',
        client_id: DEFAULT_IDS.daemonClientId,
        client_secret: DEFAULT_IDS.daemonSecret,
        scope: APP_SCOPE,
      },
    );
    expect(common.json()).toMatchObject({ error: 'invalid_request', error_codes: [50059] });
    expect(String(common.json().error_description)).toMatch(/^AADSTS50059: /);
  });

  it('bad code redemptions: missing verifier, wrong redirect URI, reused code, expired refresh token', async () => {
    const app = new ConfidentialClientApplication(
      msalConfig(DEFAULT_IDS.webAppClientId, { clientSecret: DEFAULT_IDS.webAppSecret }),
    );
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const url = await app.getAuthCodeUrl({
      scopes: [SMTP],
      redirectUri: REDIRECT,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
    });
    const code = (await authorize(url)).get('code') ?? '';
    await expect(
      app.acquireTokenByCode({ code, scopes: [SMTP], redirectUri: REDIRECT }),
    ).rejects.toMatchObject({ errorCode: 'invalid_grant', errorNo: 501481 });
    await expect(
      app.acquireTokenByCode({
        code,
        scopes: [SMTP],
        redirectUri: 'http://localhost:1/other',
        codeVerifier: verifier,
      }),
    ).rejects.toMatchObject({ errorNo: 50011 });
    const ok = await app.acquireTokenByCode({
      code,
      scopes: [SMTP],
      redirectUri: REDIRECT,
      codeVerifier: verifier,
    });
    await expect(
      app.acquireTokenByCode({ code, scopes: [SMTP], redirectUri: REDIRECT, codeVerifier: verifier }),
    ).rejects.toMatchObject({ errorCode: 'invalid_grant', errorNo: 54005 });
    expect(emulator.identity.expireRefreshTokens('alice@contoso.test')).toBeGreaterThan(0);
    await expect(
      app.acquireTokenSilent({ account: accountOf(ok), scopes: [SMTP], forceRefresh: true }),
    ).rejects.toMatchObject({ errorCode: 'invalid_grant', errorNo: 700082, subError: 'bad_token' });
  });

  it('refuses plain PKCE at authorize and shows an AADSTS50011 page for an unregistered redirect URI', async () => {
    const base = `${emulator.urls.microsoftAuthority()}/oauth2/v2.0/authorize?client_id=${DEFAULT_IDS.webAppClientId}&response_type=code&scope=openid`;
    const plain = await authorize(
      `${base}&redirect_uri=${encodeURIComponent(REDIRECT)}&state=s&code_challenge=abc&code_challenge_method=plain`,
    );
    expect(plain.get('error')).toBe('invalid_request');
    expect(plain.get('state')).toBe('s');
    const page = await httpsRequest(
      emulator.caCertPem,
      `${base}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`,
    );
    expect(page.status).toBe(400);
    expect(page.body).toContain('AADSTS50011');
  });

  it('429 with Retry-After and 503 arrive as msal errors, not as bad credentials', async () => {
    const app = new ConfidentialClientApplication(
      msalConfig(DEFAULT_IDS.webAppClientId, { clientSecret: DEFAULT_IDS.webAppSecret }),
    );
    emulator.inject.microsoft({ status: 503, clientId: DEFAULT_IDS.webAppClientId });
    const unavailable = await app
      .acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(unavailable).toMatchObject({ errorCode: 'server_error', errorNo: 90033 });
    const raw = emulator.inject.microsoft({
      status: 429,
      retryAfterSeconds: 7,
      clientId: 'throttled-client',
    });
    const throttled = await httpsRequest(
      emulator.caCertPem,
      `${emulator.urls.microsoftAuthority()}/oauth2/v2.0/token`,
      'POST',
      { grant_type: 'client_credentials', client_id: 'throttled-client' },
    );
    expect(raw.hits).toBe(1);
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('7');
    expect(throttled.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });

  it('every request stayed on loopback and was counted by the emulator', () => {
    expect(spy.outbound).toEqual([]);
    expect(emulator.requests.length).toBeGreaterThan(20);
    expect(
      emulator.requests.every(
        (r) => r.remoteAddress === '127.0.0.1' || r.remoteAddress === '::ffff:127.0.0.1',
      ),
    ).toBe(true);
  });
});
