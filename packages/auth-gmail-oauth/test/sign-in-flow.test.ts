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
} from '@mailplug/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createGmailOAuth, type GmailOAuthSession } from '../src/index.js';

const CLIENT_ID = '1234-test.apps.googleusercontent.com';
const sessions: GmailOAuthSession[] = [];

function makeSession(
  overrides: Record<string, unknown> = {},
  extra: { tokenStore?: TokenStore; now?: () => number; accountId?: string } = {},
): { session: GmailOAuthSession; store: TokenStore } {
  const store = extra.tokenStore ?? createMemoryTokenStore();
  const session = createGmailOAuth({ signInTtlMs: 60_000 }).create({
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

describe('beginSignIn', () => {
  it('asks for offline access with consent, the mail scope, PKCE S256 and a state', async () => {
    const { session } = makeSession({ loginHint: 'alice@contoso.test' });
    const start = await session.beginSignIn();
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
    const start = await session.beginSignIn();
    const record = (await store.get(`pending-sign-in:${start.state}`)) as { data: { codeVerifier: string } };
    const verifier = record.data.codeVerifier;
    expect(verifier.length).toBeGreaterThanOrEqual(43);
    expect(start.url).not.toContain(verifier);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    expect(new URL(start.url).searchParams.get('code_challenge')).toBe(challenge);
  });

  it('issues a different state and challenge every time', async () => {
    const { session } = makeSession();
    const a = new URL((await session.beginSignIn()).url).searchParams;
    const b = new URL((await session.beginSignIn()).url).searchParams;
    expect(a.get('state')).not.toBe(b.get('state'));
    expect(a.get('code_challenge')).not.toBe(b.get('code_challenge'));
  });

  it('uses overridden endpoints', async () => {
    const { session } = makeSession({
      authUrl: 'http://127.0.0.1:9/google/o/oauth2/v2/auth',
      tokenUrl: 'http://127.0.0.1:9/google/token',
    });
    expect((await session.beginSignIn()).url.startsWith('http://127.0.0.1:9/google/o/oauth2/v2/auth?')).toBe(
      true,
    );
  });

  it('fails with an admin error when no redirect URI is known', async () => {
    const { session } = makeSession({ redirectUri: undefined });
    await expect(session.beginSignIn()).rejects.toMatchObject({ code: 'CONFIG_INVALID', action: 'admin' });
  });

  it('fails with SECRET_MISSING naming the secret when the client secret is not stored', async () => {
    const { session } = makeSession({ clientSecret: { secretRef: 'nope' } });
    await expect(session.beginSignIn()).rejects.toMatchObject({
      code: 'SECRET_MISSING',
      action: 'admin',
      message: expect.stringContaining('"nope"'),
    });
  });
});

describe('completeSignIn', () => {
  it('refuses an unknown state', async () => {
    const { session } = makeSession();
    await expect(session.completeSignIn({ state: 'A'.repeat(43), code: 'x' })).rejects.toMatchObject({
      code: 'SIGN_IN_STATE_INVALID',
    });
    await expect(session.completeSignIn({ code: 'x' })).rejects.toMatchObject({
      code: 'SIGN_IN_STATE_INVALID',
    });
  });

  it('maps a denial to SIGN_IN_DENIED and burns the state', async () => {
    const { session } = makeSession();
    const { state } = await session.beginSignIn();
    await expect(session.completeSignIn({ state, error: 'access_denied' })).rejects.toMatchObject({
      code: 'SIGN_IN_DENIED',
      action: 'user',
    });
    await expect(session.completeSignIn({ state, error: 'access_denied' })).rejects.toMatchObject({
      code: 'SIGN_IN_STATE_INVALID',
    });
  });

  it('refuses an expired state', async () => {
    let clock = 1_000_000;
    const { session } = makeSession({}, { now: () => clock });
    const { state } = await session.beginSignIn();
    clock += 61_000;
    await expect(session.completeSignIn({ state, code: 'x' })).rejects.toMatchObject({
      code: 'SIGN_IN_STATE_INVALID',
    });
  });

  it("refuses a state that belongs to another account's session", async () => {
    const store = createMemoryTokenStore();
    const { session: a } = makeSession({}, { tokenStore: store, accountId: 'a' });
    const { session: b } = makeSession({}, { tokenStore: store, accountId: 'b' });
    const { state } = await a.beginSignIn();
    await expect(b.completeSignIn({ state, code: 'x' })).rejects.toMatchObject({
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
