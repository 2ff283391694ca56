/**
 * The interactive checks that need no identity server: what goes into the authorization URL and
 * how callbacks with bad state or a denial are handled.
 */
import { createHash } from 'node:crypto';
import {
  createMemorySecretStore,
  createMemoryTokenStore,
  type SessionChange,
  type TokenStore,
  validateSettings,
} from '@mailplug/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createGmailOAuth, type GmailOAuthSession, gmailOAuth } from '../src/index.js';

const CLIENT_ID = '1234-test.apps.googleusercontent.com';
const sessions: GmailOAuthSession[] = [];

function makeSession(
  overrides: Record<string, unknown> = {},
  extra: { tokenStore?: TokenStore; now?: () => number; accountId?: string } = {},
): { session: GmailOAuthSession; store: TokenStore } {
  const store = extra.tokenStore ?? createMemoryTokenStore();
  const session = createGmailOAuth({ signInTtlMs: 60_000 }).createSession({
    accountId: extra.accountId ?? 'acct',
    settings: {
      clientId: CLIENT_ID,
      clientSecret: { secretRef: 'google-secret' },
      redirectUri: 'https://host.example/oauth/google',
      ...overrides,
    },
    secrets: createMemorySecretStore({ 'google-secret': 'GOCSPX-flow-test-secret' }),
    tokenStore: store,
    ...(extra.now ? { now: extra.now } : {}),
  }) as GmailOAuthSession;
  sessions.push(session);
  return { session, store };
}

afterEach(async () => {
  for (const s of sessions.splice(0)) await s.dispose();
});

describe('interactive.begin', () => {
  it('asks for offline access with consent, the mail scope, PKCE S256 and a state', async () => {
    const { session } = makeSession({ loginHint: 'alice@contoso.test' });
    const start = await session.interactive.begin();
    const url = new URL(start.url);
    expect(`${url.origin}${url.pathname}`).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    const q = url.searchParams;
    expect(q.get('client_id')).toBe(CLIENT_ID);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('access_type')).toBe('offline');
    expect(q.get('prompt')).toBe('consent');
    expect(q.get('scope')?.split(' ')).toEqual(['https://mail.google.com/', 'openid', 'email']);
    expect(q.get('redirect_uri')).toBe('https://host.example/oauth/google');
    expect(q.get('login_hint')).toBe('alice@contoso.test');
    expect(q.get('state')).toBe(start.state);
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.has('code_verifier')).toBe(false);
    expect(start.expiresAt).toBeGreaterThan(Date.now());
  });

  it('keeps the PKCE verifier in the token store, matching the challenge, and out of the URL', async () => {
    const { session, store } = makeSession();
    const start = await session.interactive.begin();
    const record = (await store.get(`pending-sign-in:${start.state}`)) as { data: { codeVerifier: string } };
    const verifier = record.data.codeVerifier;
    expect(verifier.length).toBeGreaterThanOrEqual(43);
    expect(start.url).not.toContain(verifier);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    expect(new URL(start.url).searchParams.get('code_challenge')).toBe(challenge);
  });

  it('issues a different state and challenge every time', async () => {
    const { session } = makeSession();
    const a = new URL((await session.interactive.begin()).url).searchParams;
    const b = new URL((await session.interactive.begin()).url).searchParams;
    expect(a.get('state')).not.toBe(b.get('state'));
    expect(a.get('code_challenge')).not.toBe(b.get('code_challenge'));
  });

  it('uses overridden endpoints', async () => {
    const { session } = makeSession({
      authUrl: 'http://127.0.0.1:9/google/o/oauth2/v2/auth',
      tokenUrl: 'http://127.0.0.1:9/google/token',
      revokeUrl: 'http://127.0.0.1:9/google/revoke',
      tokenInfoUrl: 'http://127.0.0.1:9/google/tokeninfo',
      userInfoUrl: 'http://127.0.0.1:9/google/userinfo',
      certsUrl: 'http://127.0.0.1:9/google/certs',
    });
    expect(
      (await session.interactive.begin()).url.startsWith('http://127.0.0.1:9/google/o/oauth2/v2/auth?'),
    ).toBe(true);
  });

  it('fails with an admin error when no redirect URI is known', async () => {
    const { session } = makeSession({ redirectUri: undefined });
    await expect(session.interactive.begin()).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      action: 'admin',
    });
  });

  it('fails with SECRET_MISSING naming the secret when the client secret is not stored', async () => {
    const { session } = makeSession({ clientSecret: { secretRef: 'nope' } });
    await expect(session.interactive.begin()).rejects.toMatchObject({
      code: 'SECRET_MISSING',
      action: 'admin',
      message: expect.stringContaining('"nope"'),
    });
  });
});

describe('interactive.complete', () => {
  it('refuses an unknown state', async () => {
    const { session } = makeSession();
    await expect(session.interactive.complete({ state: 'A'.repeat(43), code: 'x' })).rejects.toMatchObject({
      code: 'SIGN_IN_STATE_INVALID',
    });
    await expect(session.interactive.complete({ code: 'x' })).rejects.toMatchObject({
      code: 'SIGN_IN_STATE_INVALID',
    });
  });

  it('maps a denial to SIGN_IN_DENIED and burns the state', async () => {
    const { session } = makeSession();
    const { state } = await session.interactive.begin();
    await expect(session.interactive.complete({ state, error: 'access_denied' })).rejects.toMatchObject({
      code: 'SIGN_IN_DENIED',
      action: 'user',
    });
    await expect(session.interactive.complete({ state, error: 'access_denied' })).rejects.toMatchObject({
      code: 'SIGN_IN_STATE_INVALID',
    });
  });

  it('refuses a callback without the binding its sign-in began with, and keeps the state for the real one', async () => {
    const { session } = makeSession();
    const { state } = await session.interactive.begin({ binding: 'web-session-1' });
    for (const options of [{ binding: 'web-session-2' }, {}]) {
      await expect(session.interactive.complete({ state, code: 'x' }, options)).rejects.toMatchObject({
        code: 'SIGN_IN_BINDING_MISMATCH',
      });
    }
    // The browser session that began it gets past the state (here to the denial it carries).
    await expect(
      session.interactive.complete({ state, error: 'access_denied' }, { binding: 'web-session-1' }),
    ).rejects.toMatchObject({ code: 'SIGN_IN_DENIED' });
  });

  it('refuses an expired state', async () => {
    let clock = 1_000_000;
    const { session } = makeSession({}, { now: () => clock });
    const { state } = await session.interactive.begin();
    clock += 61_000;
    await expect(session.interactive.complete({ state, code: 'x' })).rejects.toMatchObject({
      code: 'SIGN_IN_STATE_INVALID',
    });
  });

  it("refuses a state that belongs to another account's session", async () => {
    const store = createMemoryTokenStore();
    const { session: a } = makeSession({}, { tokenStore: store, accountId: 'a' });
    const { session: b } = makeSession({}, { tokenStore: store, accountId: 'b' });
    const { state } = await a.interactive.begin();
    await expect(b.interactive.complete({ state, code: 'x' })).rejects.toMatchObject({
      code: 'SIGN_IN_STATE_INVALID',
    });
  });

  it('reports SIGN_IN_REQUIRED from getCredential and checkAuthorization before anyone signed in', async () => {
    const { session } = makeSession();
    const changes: SessionChange[] = [];
    session.onDidChangeSession((c) => changes.push(c));
    await expect(session.getCredential({ protocol: 'smtp' })).rejects.toMatchObject({
      code: 'SIGN_IN_REQUIRED',
      action: 'user',
    });
    await expect(session.checkAuthorization()).resolves.toMatchObject({
      state: 'signInRequired',
      grantedScopes: [],
    });
    expect(changes).toEqual([]);
  });

  it('refuses receive protocols on a send-only account', async () => {
    const { session } = makeSession({ sendOnly: true });
    await expect(session.getCredential({ protocol: 'imap' })).rejects.toMatchObject({
      code: 'PROTOCOL_MISMATCH',
      action: 'admin',
    });
  });
});

describe('host-wide OAuth client', () => {
  const redirectUri = 'https://host.example/oauth/google';
  const provider = createGmailOAuth({ clientId: CLIENT_ID, clientSecret: { secretRef: 'google-secret' } });
  const bind = (settings: Record<string, unknown>) => {
    const session = provider.createSession({
      accountId: 'acct',
      settings,
      secrets: createMemorySecretStore({ 'google-secret': 'GOCSPX-flow-test-secret', other: 'GOCSPX-other' }),
      tokenStore: createMemoryTokenStore(),
    }) as GmailOAuthSession;
    sessions.push(session);
    return session;
  };
  const clientIdOf = async (session: GmailOAuthSession) =>
    new URL((await session.interactive.begin()).url).searchParams.get('client_id');

  it('lets accounts leave the client id and secret out', async () => {
    expect(validateSettings(provider.settingsSchema, { redirectUri })).toEqual([]);
    expect(
      validateSettings(gmailOAuth.settingsSchema, { redirectUri })
        .map((i) => i.path)
        .sort(),
    ).toEqual(['clientId', 'clientSecret']);
    expect(await clientIdOf(bind({ redirectUri }))).toBe(CLIENT_ID);
  });

  it("uses an account's own client over the host's", async () => {
    const own = bind({
      redirectUri,
      clientId: '999-own.apps.googleusercontent.com',
      clientSecret: { secretRef: 'other' },
    });
    expect(await clientIdOf(own)).toBe('999-own.apps.googleusercontent.com');
  });

  it('validates the merged settings, at createSession and in validateSettings', () => {
    expect(() => bind({ redirectUri: 'http://host.example/cb' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', action: 'admin' }),
    );
    expect(provider.validateSettings?.({ clientId: 'admin@example.com' })[0]?.path).toBe('clientId');
    expect(provider.validateSettings?.({ redirectUri })).toEqual([]);
  });
});
