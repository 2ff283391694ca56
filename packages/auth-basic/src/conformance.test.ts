import { type AuthProviderDefinition, createMemorySecretStore, type TokenStore } from '@mailplug/core';
import { authProviderSuite } from '@mailplug/testkit';
import { it } from 'vitest';
import { createBasicAuth } from './index.js';

const tokenStore = (): TokenStore => {
  const values = new Map<string, never>();
  return {
    get: async (k) => values.get(k),
    set: async (k, v) => void values.set(k, v as never),
    delete: async (k) => void values.delete(k),
    withLock: (_k, fn) => fn(),
  };
};
const settings = { username: 'ann@example.com', password: { secretRef: 'ann-password' } };
const session = (d: AuthProviderDefinition, secrets: Record<string, string>) =>
  d.create({
    accountId: 'conformance',
    settings,
    secrets: createMemorySecretStore(secrets),
    tokenStore: tokenStore(),
  });

authProviderSuite(it, () => createBasicAuth(), {
  validSettings: settings,
  invalidSettings: [
    { settings: { username: 'ann@example.com', password: 'inline-password' }, paths: ['password'] },
    { settings: {}, paths: ['username', 'password'] },
  ],
  createSession: (d) => session(d, { 'ann-password': 'conformance-password-1' }),
  authorizedSession: (d) => session(d, { 'ann-password': 'conformance-password-1' }),
  // The referenced secret is missing while the planted secret sits in the store under another name.
  failingSession: (d, planted) => session(d, { 'some-other-secret': planted }),
});
