/**
 * The testkit conformance suite, run against the emulator with the real google-auth-library: the
 * base contract checks plus, for `gmail-oauth`, the token lifecycle hooks (expired sign-in state,
 * revoked grant, transient token endpoint failures, sign-out, rotated refresh tokens — the
 * emulator rotates Google refresh tokens here).
 */
import {
  type AuthProvider,
  type AuthProviderDefinition,
  createMemorySecretStore,
  createMemoryTokenStore,
  type TokenStore,
} from '@mailplug/core';
import { DEFAULT_IDS } from '@mailplug/emulator';
import { authProviderSuite } from '@mailplug/testkit';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createGmailOAuth, createGoogleServiceAccount, type GmailOAuthSession } from '../src/index.js';
import { type GoogleTestBed, headlessAuthorize, startGoogleTestBed } from './helpers.js';

const HOUR = 3_600_000;
let bed: GoogleTestBed;
let accounts = 0;
beforeAll(async () => {
  bed = await startGoogleTestBed({ googleRotatesRefreshTokens: true });
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

/** A gmail-oauth session on its own account id, optionally on a clock the test moves. */
function bind(d: AuthProviderDefinition, store: TokenStore, accountId: string, now?: () => number) {
  return d.create({
    accountId,
    settings: bed.settings,
    secrets: createMemorySecretStore(bed.secrets),
    tokenStore: store,
    ...(now ? { now } : {}),
  }) as GmailOAuthSession;
}

/** Signed in, then the session clock moves two hours on, so the next getCredential refreshes. */
async function signedInAndDue(d: AuthProviderDefinition, store = createMemoryTokenStore()) {
  const accountId = `gmail-life-${++accounts}`;
  let offset = 0;
  const session = bind(d, store, accountId, () => Date.now() + offset);
  await session.completeSignIn(await headlessAuthorize(await session.beginSignIn()));
  offset = 2 * HOUR;
  return { session, store, accountId };
}

describe('gmail-oauth', () => {
  authProviderSuite(it, () => createGmailOAuth({ retry: { attempts: 1 } }), {
    interactive: true,
    protocol: 'smtp',
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
    sessionWithClock: (d, now) => bind(d, createMemoryTokenStore(), `gmail-life-${++accounts}`, now),
    async revokedSession(d) {
      const { session } = await signedInAndDue(d);
      // Google's answer for a revoked or expired grant, on every token request until removed.
      const revoked = bed.emulator.inject.google({
        error: 'invalid_grant',
        description: 'Token has been expired or revoked.',
        times: Number.POSITIVE_INFINITY,
      });
      return { session, refreshAttempts: () => revoked.hits, cleanup: () => revoked.remove() };
    },
    async transientSession(d) {
      const { session } = await signedInAndDue(d);
      const unavailable = bed.emulator.inject.google({ status: 503, times: Number.POSITIVE_INFINITY });
      return { session, recover: () => unavailable.remove(), cleanup: () => unavailable.remove() };
    },
    signOutForgetsSignIn: true,
    async rotatingSession(d) {
      const { session, store, accountId } = await signedInAndDue(d);
      return { session, reopen: () => bind(d, store, accountId) };
    },
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
