/** The testkit conformance suite, run against the emulator with the real google-auth-library. */
import {
  type AuthProvider,
  type AuthProviderDefinition,
  createMemorySecretStore,
  createMemoryTokenStore,
} from '@mailplug/core';
import { DEFAULT_IDS } from '@mailplug/emulator';
import { authProviderSuite } from '@mailplug/testkit';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createGmailOAuth, createGoogleServiceAccount, type GmailOAuthSession } from '../src/index.js';
import { type GoogleTestBed, headlessAuthorize, startGoogleTestBed } from './helpers.js';

let bed: GoogleTestBed;
beforeAll(async () => {
  bed = await startGoogleTestBed();
});
afterAll(() => bed.stop());

function create(
  definition: AuthProviderDefinition,
  settings: Record<string, unknown>,
  secrets: Record<string, string> = bed.secrets,
) {
  return definition.create({
    accountId: 'conformance',
    settings,
    secrets: createMemorySecretStore(secrets),
    tokenStore: createMemoryTokenStore(),
  });
}

describe('gmail-oauth', () => {
  authProviderSuite(it, () => createGmailOAuth({ retry: { attempts: 1 } }), {
    interactive: true,
    validSettings: {
      clientId: '1234-abc.apps.googleusercontent.com',
      clientSecret: { secretRef: 'google-client-secret' },
      redirectUri: 'https://host.example/oauth/google/callback',
    },
    invalidSettings: [
      { settings: { clientSecret: 'GOCSPX-inline-secret' }, paths: ['clientId', 'clientSecret'] },
      {
        settings: {
          clientId: 'admin@example.com',
          clientSecret: { secretRef: 's' },
          redirectUri: 'http://host.example/cb',
        },
        paths: ['clientId', 'redirectUri'],
      },
      {
        settings: { clientId: 'x', clientSecret: { secretRef: 's' }, tokenUrl: 'https://idp.example/token' },
        paths: ['authUrl'],
      },
    ],
    createSession: (d) => create(d, bed.settings),
    async authorizedSession(d) {
      const session = create(d, bed.settings) as GmailOAuthSession;
      await session.completeSignIn(await headlessAuthorize(await session.beginSignIn()));
      return session;
    },
    async failingSession(d, planted) {
      // A client secret Google rejects, and a refresh token it never issued, both planted.
      const store = createMemoryTokenStore();
      await store.set('conformance:tokens', {
        accessToken: 'expired-access-token',
        expiresAt: 0,
        refreshToken: planted,
        scopes: ['https://mail.google.com/'],
        user: 'alice@contoso.test',
      });
      return d.create({
        accountId: 'conformance',
        settings: bed.settings,
        secrets: createMemorySecretStore({ 'emulator-google-client-secret': planted }),
        tokenStore: store,
      }) as AuthProvider;
    },
    authorize: (start) => headlessAuthorize(start),
  });
});

describe('google-service-account', () => {
  const keyFor = () =>
    JSON.stringify(
      bed.emulator.identity.serviceAccountKey(DEFAULT_IDS.googleServiceAccount, bed.emulator.urls.googleBase),
    );
  const settings = () => ({
    serviceAccountKey: { secretRef: 'sa-key' },
    mailbox: 'alice@contoso.test',
    tokenUrl: `${bed.httpBase}/token`,
  });

  authProviderSuite(it, () => createGoogleServiceAccount({ retry: { attempts: 1 } }), {
    appOnly: true,
    validSettings: { serviceAccountKey: { secretRef: 'sa-key' }, mailbox: 'noreply@example.com' },
    invalidSettings: [
      {
        settings: { serviceAccountKey: '{"private_key":"inline"}', mailbox: 'not-an-address' },
        paths: ['serviceAccountKey', 'mailbox'],
      },
    ],
    createSession: (d) => create(d, settings(), { 'sa-key': keyFor() }),
    authorizedSession: (d) => create(d, settings(), { 'sa-key': keyFor() }),
    failingSession: (d, planted) =>
      create(d, settings(), {
        'sa-key': JSON.stringify({
          type: 'service_account',
          client_email: DEFAULT_IDS.googleServiceAccount,
          private_key: `-----BEGIN PRIVATE KEY-----\n${planted}\n-----END PRIVATE KEY-----\n`,
        }),
      }),
  });
});
