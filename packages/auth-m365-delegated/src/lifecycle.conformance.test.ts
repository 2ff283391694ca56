/**
 * The testkit conformance suite with its token lifecycle hooks: expired sign-in state, revoked
 * grant, transient token endpoint failures, sign-out and rotated refresh tokens — the real
 * msal-node against the emulator (Entra ID rotates refresh tokens on every use).
 */
import { request } from 'node:https';
import {
  type AuthProviderDefinition,
  createMemorySecretStore,
  createMemoryTokenStore,
  type SignInCallbackParams,
  type TokenStore,
} from '@mailplug/core';
import { type Emulator, startEmulator } from '@mailplug/emulator';
import { authProviderSuite } from '@mailplug/testkit';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createM365DelegatedProvider } from './index.js';

const HOUR = 3_600_000;
let emulator: Emulator;
let accounts = 0;

beforeAll(async () => {
  emulator = await startEmulator({
    identity: { autoApprove: 'first-user', deviceCodeInterval: 0 },
    mail: false,
  });
});
afterAll(async () => {
  await emulator?.stop();
});

function bind(d: AuthProviderDefinition, store: TokenStore, accountId: string, now?: () => number) {
  const preset = emulator.settings['m365-delegated'];
  return d.create({
    accountId,
    settings: { ...preset.settings, redirectUri: 'http://127.0.0.1/callback' },
    secrets: createMemorySecretStore(preset.secrets),
    tokenStore: store,
    ...(now ? { now } : {}),
  });
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
  const accountId = `m365-life-${++accounts}`;
  let offset = 0;
  const session = bind(d, store, accountId, () => Date.now() + offset);
  await session.completeSignIn!(await consent((await session.beginSignIn!()).url));
  offset = 2 * HOUR;
  return { session, store, accountId };
}

describe('m365-delegated lifecycle conformance', () => {
  authProviderSuite(it, () => createM365DelegatedProvider({ tokenManager: { retry: { attempts: 1 } } }), {
    interactive: true,
    deviceCode: true,
    protocol: 'smtp',
    validSettings: {
      tenant: 'organizations',
      clientId: '5a1e7c00-0000-4000-8000-00000000a001',
      protocols: ['smtp'],
    },
    invalidSettings: [
      { settings: { tenant: 'organizations', clientId: 'alice@contoso.test' }, paths: ['clientId'] },
    ],
    createSession: (d) => bind(d, createMemoryTokenStore(), `m365-life-${++accounts}`),
    async authorizedSession(d) {
      const session = bind(d, createMemoryTokenStore(), `m365-life-${++accounts}`);
      await session.completeSignIn!(await consent((await session.beginSignIn!()).url));
      return session;
    },
    async failingSession(d, planted) {
      // Signed in with the right secret; the refresh then uses a client secret Entra ID rejects.
      const { session, store, accountId } = await signedInAndDue(d);
      await session.dispose();
      const preset = emulator.settings['m365-delegated'];
      return d.create({
        accountId,
        settings: { ...preset.settings, redirectUri: 'http://127.0.0.1/callback' },
        secrets: createMemorySecretStore({ 'emulator-m365-web-secret': planted }),
        tokenStore: store,
        now: () => Date.now() + 4 * HOUR,
      });
    },
    authorize: (start) => consent(start.url),
    sessionWithClock: (d, now) => bind(d, createMemoryTokenStore(), `m365-life-${++accounts}`, now),
    async revokedSession(d) {
      const { session } = await signedInAndDue(d);
      // Entra ID's answer for a refresh token that is no longer valid, until removed.
      const revoked = emulator.inject.microsoft({ aadsts: 700082, times: Number.POSITIVE_INFINITY });
      return { session, refreshAttempts: () => revoked.hits, cleanup: () => revoked.remove() };
    },
    async transientSession(d) {
      const { session } = await signedInAndDue(d);
      const unavailable = emulator.inject.microsoft({ status: 503, times: Number.POSITIVE_INFINITY });
      return { session, recover: () => unavailable.remove(), cleanup: () => unavailable.remove() };
    },
    signOutForgetsSignIn: true,
    async rotatingSession(d) {
      const { session, store, accountId } = await signedInAndDue(d);
      return { session, reopen: () => bind(d, store, accountId) };
    },
  });
});
