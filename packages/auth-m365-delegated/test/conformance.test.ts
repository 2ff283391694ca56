/**
 * The testkit conformance suite against the emulator with the real msal-node: the base contract
 * checks plus the token lifecycle hooks (expired sign-in state, revoked grant, transient token
 * endpoint failures, sign-out, rotated refresh tokens — Entra ID rotates them on every use).
 */
import { type AuthProviderDefinition, createMemorySecretStore, createMemoryTokenStore } from '@mailplug/core';
import type { Emulator } from '@mailplug/emulator';
import { authProviderSuite } from '@mailplug/testkit';
import { afterAll, beforeAll, it } from 'vitest';
import { createM365DelegatedProvider } from '../src/index.js';
import { emulatorFor, followAuthorize, initFor } from './helpers.js';

const HOUR = 3_600_000;
let emulator: Emulator;
beforeAll(async () => {
  emulator = await emulatorFor();
});
afterAll(async () => {
  await emulator?.stop();
});

let n = 0;
const id = () => `conf-${++n}`;

async function signedIn(
  definition: AuthProviderDefinition,
  store = createMemoryTokenStore(),
  accountId = id(),
  now?: () => number,
) {
  const session = definition.create({ ...initFor(emulator, {}, store, accountId), ...(now ? { now } : {}) });
  await session.completeSignIn!(
    await followAuthorize((await session.beginSignIn!()).url, emulator.caCertPem),
  );
  return session;
}

/** Signed in, then the session clock moves two hours on, so the next getCredential refreshes. */
async function signedInAndDue(definition: AuthProviderDefinition) {
  const store = createMemoryTokenStore();
  const accountId = id();
  let offset = 0;
  const session = await signedIn(definition, store, accountId, () => Date.now() + offset);
  offset = 2 * HOUR;
  return { session, store, accountId };
}

// One token request per refresh: the transient check counts requests, so the manager must not retry.
authProviderSuite(it, () => createM365DelegatedProvider({ tokenManager: { retry: { attempts: 1 } } }), {
  interactive: true,
  deviceCode: true,
  validSettings: {
    tenant: 'organizations',
    clientId: '5a1e7c00-0000-4000-8000-00000000a001',
    clientSecret: { secretRef: 'web-secret' },
    redirectUri: 'https://app.example.com/oauth/microsoft',
    protocols: ['smtp', 'imap'],
    mailbox: 'alice@contoso.test',
  },
  invalidSettings: [
    { settings: { tenant: 'organizations', clientId: 'alice@contoso.test' }, paths: ['clientId'] },
    {
      settings: { tenant: 'admin@contoso.test', clientId: '5a1e7c00-0000-4000-8000-00000000a001' },
      paths: ['tenant'],
    },
    {
      settings: { clientId: '5a1e7c00-0000-4000-8000-00000000a001', clientSecret: 'inline-secret' },
      paths: ['clientSecret'],
    },
  ],
  protocol: 'smtp',
  createSession: (definition) => definition.create(initFor(emulator, {}, createMemoryTokenStore(), id())),
  authorizedSession: (definition) => signedIn(definition),
  async failingSession(definition, plantedSecret) {
    // Signed in with the right secret; later refreshes use a client secret Entra ID rejects.
    const store = createMemoryTokenStore();
    const accountId = id();
    (await signedIn(definition, store, accountId)).dispose();
    const later = Date.now() + 4 * 3600_000;
    return definition.create({
      ...initFor(emulator, {}, store, accountId),
      secrets: createMemorySecretStore({ 'emulator-m365-web-secret': plantedSecret }),
      now: () => later,
    });
  },
  authorize: (start) => followAuthorize(start.url, emulator.caCertPem),
  sessionWithClock: (definition, now) =>
    definition.create({ ...initFor(emulator, {}, createMemoryTokenStore(), id()), now }),
  async revokedSession(definition) {
    const { session } = await signedInAndDue(definition);
    // Entra ID's answer for a refresh token that is no longer valid, until removed.
    const revoked = emulator.inject.microsoft({ aadsts: 700082, times: Number.POSITIVE_INFINITY });
    return { session, refreshAttempts: () => revoked.hits, cleanup: () => revoked.remove() };
  },
  async transientSession(definition) {
    const { session } = await signedInAndDue(definition);
    const unavailable = emulator.inject.microsoft({ status: 503, times: Number.POSITIVE_INFINITY });
    return { session, recover: () => unavailable.remove(), cleanup: () => unavailable.remove() };
  },
  signOutForgetsSignIn: true,
  async rotatingSession(definition) {
    const { session, store, accountId } = await signedInAndDue(definition);
    return { session, reopen: () => definition.create(initFor(emulator, {}, store, accountId)) };
  },
});
