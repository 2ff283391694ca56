import {
  type AuthProvider,
  type AuthProviderDefinition,
  createMemorySecretStore,
  type TokenStore,
} from '@mailplug/core';
import { describe, expect, it } from 'vitest';
import { authProviderSuite } from '../auth-provider-suite.js';
import type { AuthProviderSuiteOptions } from './auth-provider-checks.js';
import { authProviderLifecycleChecks } from './auth-provider-lifecycle-checks.js';
import { failsWith } from './expect-conformance.js';
import {
  createFakeIdentityProvider,
  type FakeIdentityProvider,
  type LifecycleBreakage,
  lifecycleOAuthProvider,
} from './test-lifecycle-subject.js';
import { authorizeWithIdp, memoryTokenStore } from './test-subjects.js';

const settings = {
  clientId: '0a1b2c3d-4e5f',
  authorizeUrl: 'https://idp.example.com/authorize',
  redirectUri: 'http://127.0.0.1:8080/callback',
};
const HOUR = 3_600_000;

/** The identity provider of the current test (the suite's factory makes a fresh one per check). */
let idp: FakeIdentityProvider = createFakeIdentityProvider();
let accounts = 0;

function bind(d: AuthProviderDefinition, store: TokenStore, accountId: string, now?: () => number) {
  return d.create({
    accountId,
    settings,
    secrets: createMemorySecretStore(),
    tokenStore: store,
    ...(now ? { now } : {}),
  });
}

/** Signed in, then moved two hours on: the next getCredential must refresh. */
async function signedInAndDue(
  d: AuthProviderDefinition,
  store = memoryTokenStore(),
  accountId = `acct-${++accounts}`,
) {
  let offset = 0;
  const session = bind(d, store, accountId, () => Date.now() + offset);
  await session.completeSignIn!(await authorizeWithIdp(await session.beginSignIn!()));
  offset = 2 * HOUR;
  return { session, store, accountId };
}

const options: AuthProviderSuiteOptions = {
  interactive: true,
  validSettings: settings,
  invalidSettings: [{ settings: { ...settings, clientId: 'me@example.com' }, paths: ['clientId'] }],
  createSession: (d) => bind(d, memoryTokenStore(), `acct-${++accounts}`),
  async authorizedSession(d) {
    const session = bind(d, memoryTokenStore(), `acct-${++accounts}`);
    await session.completeSignIn!(await authorizeWithIdp(await session.beginSignIn!()));
    return session;
  },
  async failingSession(d, planted) {
    const store = memoryTokenStore();
    await store.set('acct-failing:tokens', {
      accessToken: 'expired',
      expiresAt: Date.now() - 1000,
      refreshToken: planted,
      scopes: ['line'],
      user: 'user@example.com',
    });
    return bind(d, store, 'acct-failing');
  },
  authorize: authorizeWithIdp,
  sessionWithClock: (d, now) => bind(d, memoryTokenStore(), `acct-${++accounts}`, now),
  async revokedSession(d) {
    const { session } = await signedInAndDue(d);
    idp.mode = 'revoked';
    const before = idp.refreshAttempts;
    return { session, refreshAttempts: () => idp.refreshAttempts - before };
  },
  async transientSession(d) {
    const { session } = await signedInAndDue(d);
    idp.mode = 'unavailable';
    return {
      session,
      recover: () => {
        idp.mode = 'ok';
      },
    };
  },
  signOutForgetsSignIn: true,
  async rotatingSession(d) {
    const { session, store, accountId } = await signedInAndDue(d);
    idp.rotate = true;
    return { session, reopen: (): AuthProvider => bind(d, store, accountId) };
  },
};

const fresh = () => {
  idp = createFakeIdentityProvider();
  return lifecycleOAuthProvider(idp);
};

describe('authProviderSuite with every lifecycle hook, against an honest refreshing provider', () => {
  authProviderSuite(it, fresh, options);
});

describe('the lifecycle checks fail on broken providers', () => {
  const broken = (breakage: LifecycleBreakage) => {
    idp = createFakeIdentityProvider();
    return lifecycleOAuthProvider(idp, breakage);
  };

  it('registers each lifecycle check only when its hook or flag is given', () => {
    const names = (o: AuthProviderSuiteOptions) => {
      const registered: string[] = [];
      authProviderSuite((name) => registered.push(name), fresh, o);
      return registered;
    };
    expect(names(options)).toHaveLength(19);
    const {
      sessionWithClock,
      revokedSession,
      transientSession,
      signOutForgetsSignIn,
      rotatingSession,
      ...none
    } = options;
    expect(names(none)).toHaveLength(14);
    expect(names({ ...none, rotatingSession })).toHaveLength(15);
    // The expired-state check needs an interactive provider as well as the clock hook.
    expect(names({ ...none, interactive: false, sessionWithClock })).toHaveLength(10);
  });

  it('catches a provider that accepts a sign-in after its state expired', async () => {
    await failsWith(
      authProviderLifecycleChecks.expiredSignInState.run(broken('ignoresStateExpiry'), options),
      /after the sign-in state expired should have failed but succeeded/,
    );
  });

  it('catches a retry loop on a revoked grant', async () => {
    await failsWith(
      authProviderLifecycleChecks.revokedGrant.run(broken('retriesRevoked'), options),
      /the identity provider saw [2-9] refresh attempts/,
    );
  });

  it('catches a transient failure reported as re-auth', async () => {
    await failsWith(
      authProviderLifecycleChecks.transientFailure.run(broken('transientAsReauth'), options),
      /must have action "retry", got "user"/,
    );
  });

  it('catches a signOut that keeps the tokens', async () => {
    await failsWith(
      authProviderLifecycleChecks.signOut.run(broken('signOutKeepsTokens'), options),
      /getCredential after signOut should have failed but succeeded/,
    );
  });

  it('catches a rotated refresh token that was not persisted', async () => {
    await failsWith(
      authProviderLifecycleChecks.rotation.run(broken('dropsRotatedToken'), options),
      /rotated refresh token was not persisted/,
    );
  });

  it('catches a provider that never reports the rotation', async () => {
    // An honest provider behind an identity provider that does not rotate: no changed/rotated.
    const quiet: AuthProviderSuiteOptions = {
      ...options,
      async rotatingSession(d) {
        const { session, store, accountId } = await signedInAndDue(d);
        return { session, reopen: () => bind(d, store, accountId) };
      },
    };
    await failsWith(
      authProviderLifecycleChecks.rotation.run(broken('dropsRotatedToken'), quiet),
      /changed\/rotated/,
    );
  });
});
