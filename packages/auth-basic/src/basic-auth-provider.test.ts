import {
  type ActivationContext,
  type AuthProvider,
  createMemorySecretStore,
  createMemoryTokenStore,
  isMailplugError,
  type MailProtocol,
  type TokenStore,
  validateSettings,
} from '@mailplug/core';
import { describe, expect, it } from 'vitest';
import packageJson from '../package.json';
import { activate, basicAuth, createBasicAuth } from './index.js';

const PLANTED_PASSWORD = 'planted-Pa55word-9f3c1e';

const unusedTokenStore: TokenStore = {
  get: async () => undefined,
  set: async () => undefined,
  delete: async () => undefined,
  deleteByPrefix: async () => 0,
  withLock: (_key, fn) => fn(),
};

function session(secrets: Record<string, string>, secretRef = 'acme-smtp-password') {
  return basicAuth.createSession({
    accountId: 'acme',
    settings: { username: 'ann@example.test', password: { secretRef } },
    secrets: createMemorySecretStore(secrets),
    tokenStore: unusedTokenStore,
  });
}

describe('basic auth provider', () => {
  it('takes id, label, capabilities and schema from the package.json manifest', () => {
    const contribution = packageJson.mailplug.authProviders[0];
    expect(basicAuth.id).toBe('basic');
    expect(basicAuth.settingsSchema).toEqual(contribution?.settingsSchema);
    expect(basicAuth.capabilities).toEqual({
      interactive: false,
      deviceCode: false,
      appOnly: false,
      protocols: ['smtp', 'imap', 'pop3'],
      credentialKind: 'password',
    });
    expect(basicAuth.specificationVersion).toBe('v1');
    expect(createBasicAuth({ id: 'basic-legacy', label: 'Legacy' })).toMatchObject({
      id: 'basic-legacy',
      label: 'Legacy',
    });
  });

  it('accepts a secret reference and rejects an inline password string in schema validation', () => {
    expect(
      validateSettings(basicAuth.settingsSchema, {
        username: 'ann@example.test',
        password: { secretRef: 'x' },
      }),
    ).toEqual([]);
    const issues = validateSettings(
      basicAuth.settingsSchema,
      { username: 'ann@example.test', password: PLANTED_PASSWORD },
      'auth.settings.',
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('auth.settings.password');
    expect(issues[0]?.fix).toContain('secretRef');
    expect(JSON.stringify(issues)).not.toContain(PLANTED_PASSWORD);
    expect(
      validateSettings(basicAuth.settingsSchema, {})
        .map((i) => i.path)
        .sort(),
    ).toEqual(['password', 'username']);
  });

  it('returns a password credential resolved from the secret store', async () => {
    const provider = session({ 'acme-smtp-password': PLANTED_PASSWORD });
    await expect(provider.getCredential({ protocol: 'smtp' })).resolves.toEqual({
      kind: 'password',
      user: 'ann@example.test',
      password: PLANTED_PASSWORD,
    });
    expect(provider.providerId).toBe('basic');
    expect(provider.accountId).toBe('acme');
    expect(provider.interactive).toBeUndefined();
    expect(provider.deviceCode).toBeUndefined();
  });

  it('fails with SECRET_MISSING naming the secretRef (action admin) when the secret is absent', async () => {
    const provider = session({}, 'acme-missing-password');
    const error = await provider.getCredential({ protocol: 'imap' }).catch((e: unknown) => e);
    expect(isMailplugError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'SECRET_MISSING', action: 'admin' });
    expect((error as Error).message).toContain('acme-missing-password');
    expect((error as { hint: string }).hint).toContain('acme-missing-password');
  });

  it('reports the username as mailbox: authorized with the secret, misconfigured without', async () => {
    await expect(session({ 'acme-smtp-password': PLANTED_PASSWORD }).checkAuthorization()).resolves.toEqual({
      state: 'authorized',
      identity: { mailbox: 'ann@example.test' },
      grantedScopes: [],
    });
    const status = await session({}).checkAuthorization();
    expect(status.state).toBe('misconfigured');
    expect(status.identity?.mailbox).toBe('ann@example.test');
    expect(status.error?.code).toBe('SECRET_MISSING');
  });

  it('refuses settings without a secret reference at create time, without echoing the value', () => {
    const create = () =>
      basicAuth.createSession({
        accountId: 'acme',
        settings: { username: 'ann@example.test', password: PLANTED_PASSWORD },
        secrets: createMemorySecretStore(),
        tokenStore: unusedTokenStore,
      });
    expect(create).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', action: 'admin' }));
    try {
      create();
    } catch (error) {
      expect(JSON.stringify(error)).not.toContain(PLANTED_PASSWORD);
      expect(String(error)).not.toContain(PLANTED_PASSWORD);
    }
  });

  it('signOut reports no revocation, forgets every key of the account and fires removed once', async () => {
    const tokenStore = createMemoryTokenStore();
    await tokenStore.set('acme:imap-cursor', 42);
    await tokenStore.set('acme-2:imap-cursor', 7);
    const provider = basicAuth.createSession({
      accountId: 'acme',
      settings: { username: 'ann@example.test', password: { secretRef: 'acme-smtp-password' } },
      secrets: createMemorySecretStore({ 'acme-smtp-password': PLANTED_PASSWORD }),
      tokenStore,
    });
    const events: string[] = [];
    provider.onDidChangeSession((e) => events.push(e.type));
    await expect(provider.signOut()).resolves.toEqual({ revocation: 'unsupported' });
    expect(await tokenStore.get('acme:imap-cursor')).toBeUndefined();
    expect(await tokenStore.get('acme-2:imap-cursor')).toBe(7);
    provider.dispose();
    await provider.signOut();
    expect(events).toEqual(['removed']);
  });

  it('activate registers the provider and a disposable', () => {
    const registered: AuthProvider[] = [];
    const context: ActivationContext = {
      packageName: '@mailplug/auth-basic',
      registerAuthProvider: (d) => {
        registered.push(d);
        return { dispose: () => undefined };
      },
      registerProtocol: (_p: MailProtocol) => ({ dispose: () => undefined }),
      subscriptions: [],
    };
    activate(context);
    expect(registered.map((d) => d.id)).toEqual(['basic']);
    expect(context.subscriptions).toHaveLength(1);
  });
});
