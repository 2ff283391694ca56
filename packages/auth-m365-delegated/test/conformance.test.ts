import { type AuthProviderDefinition, createMemorySecretStore, createMemoryTokenStore } from '@mailplug/core';
import type { Emulator } from '@mailplug/emulator';
import { authProviderSuite } from '@mailplug/testkit';
import { afterAll, beforeAll, it } from 'vitest';
import { createM365DelegatedProvider } from '../src/index.js';
import { emulatorFor, followAuthorize, initFor } from './helpers.js';

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

authProviderSuite(it, () => createM365DelegatedProvider(), {
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
});
