import {
  type AuthProvider,
  type AuthProviderDefinition,
  createMemorySecretStore,
  type SecretStore,
} from '@mailplug/core';
import { describe, expect, it } from 'vitest';
import { authProviderSuite } from '../auth-provider-suite.js';
import { type AuthProviderSuiteOptions, authProviderChecks } from './auth-provider-checks.js';
import { failsWith } from './expect-conformance.js';
import { authorizeWithIdp, memoryTokenStore, oauthProvider, passwordProvider } from './test-subjects.js';

const passwordSettings = { username: 'office', password: { secretRef: 'office-password' } };
const bindPassword = (d: AuthProviderDefinition, secrets: SecretStore): AuthProvider =>
  d.create({ accountId: 'acct-1', settings: passwordSettings, secrets, tokenStore: memoryTokenStore() });

const passwordOptions: AuthProviderSuiteOptions = {
  validSettings: passwordSettings,
  invalidSettings: [
    { settings: {}, paths: ['username', 'password'] },
    { settings: { username: 'x', password: 'inline-password' }, paths: ['password'] },
  ],
  createSession: (d) => bindPassword(d, createMemorySecretStore({})),
  authorizedSession: (d) => bindPassword(d, createMemorySecretStore({ 'office-password': 'correct-horse' })),
  failingSession: (d, planted) =>
    bindPassword(d, {
      // A vault client that echoes what it was doing, secret included.
      get: async () => {
        throw new Error(`vault write failed: password=${planted}`);
      },
    }),
};

const oauthSettings = {
  clientId: '0a1b2c3d-4e5f',
  authorizeUrl: 'https://idp.example.com/authorize',
  redirectUri: 'http://127.0.0.1:8080/callback',
};
const bindOAuth = (d: AuthProviderDefinition, tokenStore = memoryTokenStore()): AuthProvider =>
  d.create({ accountId: 'acct-2', settings: oauthSettings, secrets: createMemorySecretStore(), tokenStore });

const oauthOptions: AuthProviderSuiteOptions = {
  interactive: true,
  validSettings: oauthSettings,
  invalidSettings: [
    {
      settings: { ...oauthSettings, clientId: 'me@example.com', redirectUri: 'nope' },
      paths: ['clientId', 'redirectUri'],
    },
  ],
  createSession: (d) => bindOAuth(d),
  async authorizedSession(d) {
    const session = bindOAuth(d);
    const start = await session.beginSignIn!();
    await session.completeSignIn!(await authorizeWithIdp(start));
    return session;
  },
  async failingSession(d, planted) {
    const tokenStore = memoryTokenStore();
    await tokenStore.set('acct-2:token', {
      accessToken: 'old',
      expiresAt: Date.now() - 1000,
      refreshToken: planted,
    });
    return bindOAuth(d, tokenStore);
  },
  authorize: authorizeWithIdp,
};

describe('authProviderSuite against a password provider', () => {
  authProviderSuite(it, () => passwordProvider(), passwordOptions);
});

describe('authProviderSuite against an interactive OAuth provider', () => {
  authProviderSuite(it, () => oauthProvider(), oauthOptions);
});

describe('the auth provider checks fail on broken providers', () => {
  it('registers the interactive checks only for interactive providers', () => {
    const names = (options: AuthProviderSuiteOptions) => {
      const registered: string[] = [];
      authProviderSuite(
        (name) => registered.push(name),
        () => passwordProvider(),
        options,
      );
      return registered;
    };
    expect(names(passwordOptions)).toHaveLength(10);
    expect(names(oauthOptions)).toHaveLength(14);
    expect(names(oauthOptions).some((n) => n.includes('PKCE S256'))).toBe(true);
  });

  it('catches a wrong specification version and a capability flag mismatch', async () => {
    await failsWith(
      authProviderChecks.identity.run(
        { ...passwordProvider(), specificationVersion: 'v2' as 'v1' },
        passwordOptions,
      ),
      /specificationVersion/,
    );
    await failsWith(
      authProviderChecks.capabilities.run(passwordProvider(), { ...passwordOptions, appOnly: true }),
      /appOnly/,
    );
  });

  it('catches a schema that accepts bad settings', async () => {
    const lax = {
      ...passwordProvider(),
      settingsSchema: { fields: [{ key: 'username', label: 'User', type: 'string' as const }] },
    };
    await failsWith(
      authProviderChecks.invalidSettings.run(lax, {
        ...passwordOptions,
        invalidSettings: [{ settings: {}, paths: ['username'] }],
      }),
      /"username"/,
    );
  });

  it('catches optional methods that contradict the capabilities', async () => {
    const claims = {
      ...passwordProvider(),
      capabilities: { ...passwordProvider().capabilities, interactive: true },
    };
    await failsWith(
      authProviderChecks.sessionShape.run(claims, passwordOptions),
      /capabilities\.interactive/,
    );
  });

  it('catches an expired or malformed credential', async () => {
    const stale: AuthProviderSuiteOptions = {
      ...oauthOptions,
      authorizedSession: (d) => {
        const s = bindOAuth(d);
        return {
          ...s,
          getCredential: async () => ({
            kind: 'oauth2',
            user: 'u@example.com',
            accessToken: 'tok',
            expiresAt: Date.now() - 1,
            scopes: [],
          }),
        };
      },
    };
    await failsWith(authProviderChecks.credential.run(oauthProvider(), stale), /expiresAt/);
  });

  it('catches a secret in an error message and a non-Mailplug error', async () => {
    await failsWith(
      authProviderChecks.redaction.run(oauthProvider({ breakage: 'leakSecret' }), oauthOptions),
      /planted secret appears in the error's message/,
    );
    const raw: AuthProviderSuiteOptions = {
      ...passwordOptions,
      failingSession: (d, planted) => ({
        ...bindPassword(d, createMemorySecretStore()),
        getCredential: async () => {
          throw new Error(`bad ${planted}`);
        },
      }),
    };
    await failsWith(authProviderChecks.redaction.run(passwordProvider(), raw), /MailplugError/);
  });

  it('catches a sign-in URL without PKCE and a reusable state', async () => {
    await failsWith(
      authProviderChecks.beginSignIn.run(oauthProvider({ breakage: 'noPkce' }), oauthOptions),
      /code_challenge/,
    );
    const reusable = oauthProvider({ breakage: 'reusableState' });
    await failsWith(authProviderChecks.denied.run(reusable, oauthOptions), /SIGN_IN_STATE_INVALID/);
    await failsWith(
      authProviderChecks.completeSignIn.run(reusable, oauthOptions),
      /replaying a callback should have failed/,
    );
  });
});
