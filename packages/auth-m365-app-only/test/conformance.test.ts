import { type AuthProviderInit, createMemorySecretStore, createMemoryTokenStore } from '@mailplug/core';
import { type Emulator, startEmulator } from '@mailplug/emulator';
import { authProviderSuite } from '@mailplug/testkit';
import { afterAll, beforeAll, it } from 'vitest';
import { createM365AppOnlyProvider } from '../src/index.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

let n = 0;
function init(secrets?: Record<string, string>): AuthProviderInit {
  const preset = emulator.settings['m365-app-only'];
  return {
    accountId: `svc-conf-${++n}`,
    settings: preset.settings,
    secrets: createMemorySecretStore(secrets ?? preset.secrets),
    tokenStore: createMemoryTokenStore(),
  };
}

authProviderSuite(it, () => createM365AppOnlyProvider({ tokenManager: { retry: { attempts: 1 } } }), {
  appOnly: true,
  validSettings: {
    tenant: '0d3a1b5e-6f00-4e11-9a7c-5e0a11ce0001',
    clientId: '5a1e7c00-0000-4000-8000-00000000a003',
    clientSecret: { secretRef: 'daemon-secret' },
    mailbox: 'noreply@contoso.test',
    secretExpiresOn: '2027-06-30',
  },
  invalidSettings: [
    {
      settings: {
        tenant: 'common',
        clientId: '5a1e7c00-0000-4000-8000-00000000a003',
        clientSecret: { secretRef: 's' },
        mailbox: 'a@b.co',
      },
      paths: ['tenant'],
    },
    {
      settings: {
        tenant: 'contoso.onmicrosoft.com',
        clientId: '5a1e7c00-0000-4000-8000-00000000a003',
        mailbox: 'a@b.co',
      },
      paths: ['clientSecret'],
    },
    {
      settings: {
        tenant: 'contoso.onmicrosoft.com',
        clientId: 'me@contoso.com',
        clientSecret: { secretRef: 's' },
        mailbox: 'a@b.co',
      },
      paths: ['clientId'],
    },
  ],
  protocol: 'smtp',
  createSession: (definition) => definition.create(init()),
  authorizedSession: (definition) => definition.create(init()),
  failingSession: (definition, planted) =>
    definition.create(init({ 'emulator-m365-daemon-secret': planted })),
});
