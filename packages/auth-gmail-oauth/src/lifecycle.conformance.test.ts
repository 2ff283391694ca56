/**
 * The testkit conformance suite with its token lifecycle hooks: expired sign-in state, revoked
 * grant, transient token endpoint failures, sign-out and rotated refresh tokens — the real
 * google-auth-library against the emulator (which rotates Google refresh tokens here).
 */
import { request } from 'node:https';
import {
  type AuthProvider,
  type AuthProviderDefinition,
  createMemorySecretStore,
  createMemoryTokenStore,
  type SignInCallbackParams,
  type TokenStore,
} from '@mailplug/core';
import { type Emulator, startEmulator } from '@mailplug/emulator';
import { authProviderSuite } from '@mailplug/testkit';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createGmailOAuth, type GmailOAuthSession } from './index.js';

const HOUR = 3_600_000;
let emulator: Emulator;
let accounts = 0;

beforeAll(async () => {
  emulator = await startEmulator({
    identity: { autoApprove: 'first-user', googleRotatesRefreshTokens: true },
    mail: false,
  });
});
afterAll(async () => {
  await emulator?.stop();
});

const preset = () => emulator.settings['gmail-oauth'];
const settings = () => ({ ...preset().settings, redirectUri: 'http://127.0.0.1/callback' });

function bind(d: AuthProviderDefinition, store: TokenStore, accountId: string, now?: () => number) {
  return d.create({
    accountId,
    settings: settings(),
    secrets: createMemorySecretStore(preset().secrets),
    tokenStore: store,
    ...(now ? { now } : {}),
  }) as GmailOAuthSession;
}

/** The browser's part, headless: the emulator auto-approves and redirects with code and state. */
function consent(url: string): Promise<SignInCallbackParams> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', ca: emulator.caCertPem }, (res) => {
      res.resume();
      const location = res.headers.location;
      if (!location) return reject(new Error(`authorize answered ${res.statusCode} without a redirect`));
      resolve(Object.fromEntries(new URL(location).searchParams));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Signed in, then the session clock moves two hours on, so the next getCredential refreshes. */
async function signedInAndDue(d: AuthProviderDefinition, store = createMemoryTokenStore()) {
  const accountId = `gmail-life-${++accounts}`;
  let offset = 0;
  const session = bind(d, store, accountId, () => Date.now() + offset);
  await session.completeSignIn(await consent((await session.beginSignIn()).url));
  offset = 2 * HOUR;
  return { session, store, accountId };
}

describe('gmail-oauth lifecycle conformance', () => {
  authProviderSuite(it, () => createGmailOAuth({ retry: { attempts: 1 } }), {
    interactive: true,
    protocol: 'smtp',
    validSettings: {
      clientId: '1234-abc.apps.googleusercontent.com',
      clientSecret: { secretRef: 'google-client-secret' },
      redirectUri: 'https://host.example/oauth/google/callback',
    },
    invalidSettings: [{ settings: { clientSecret: 'GOCSPX-inline' }, paths: ['clientId', 'clientSecret'] }],
    createSession: (d) => bind(d, createMemoryTokenStore(), `gmail-life-${++accounts}`),
    async authorizedSession(d) {
      const session = bind(d, createMemoryTokenStore(), `gmail-life-${++accounts}`);
      await session.completeSignIn(await consent((await session.beginSignIn()).url));
      return session;
    },
    async failingSession(d, planted) {
      const store = createMemoryTokenStore();
      await store.set('gmail-life-failing:tokens', {
        accessToken: 'expired-access-token',
        expiresAt: 0,
        refreshToken: planted,
        scopes: ['https://mail.google.com/'],
        user: 'alice@contoso.test',
      });
      return bind(d, store, 'gmail-life-failing') as AuthProvider;
    },
    authorize: (start) => consent(start.url),
    sessionWithClock: (d, now) => bind(d, createMemoryTokenStore(), `gmail-life-${++accounts}`, now),
    async revokedSession(d) {
      const { session } = await signedInAndDue(d);
      // Google's answer for a revoked or expired grant, on every token request until removed.
      const revoked = emulator.inject.google({
        error: 'invalid_grant',
        description: 'Token has been expired or revoked.',
        times: Number.POSITIVE_INFINITY,
      });
      return { session, refreshAttempts: () => revoked.hits, cleanup: () => revoked.remove() };
    },
    async transientSession(d) {
      const { session } = await signedInAndDue(d);
      const unavailable = emulator.inject.google({ status: 503, times: Number.POSITIVE_INFINITY });
      return { session, recover: () => unavailable.remove(), cleanup: () => unavailable.remove() };
    },
    signOutForgetsSignIn: true,
    async rotatingSession(d) {
      const { session, store, accountId } = await signedInAndDue(d);
      return { session, reopen: () => bind(d, store, accountId) };
    },
  });
});
