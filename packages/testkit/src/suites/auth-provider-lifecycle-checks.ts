/**
 * Opt-in token lifecycle checks of the auth provider suite: expired sign-in state, re-auth after a
 * revoked grant, transient failures, sign-out, rotated refresh tokens. Each runs only when the
 * provider's test file passes the flag or hook it needs, so third parties adopt them one by one.
 */
import {
  type AuthProvider,
  type AuthProviderDefinition,
  CoreErrorCode,
  type SessionChange,
} from '@mailplug/core';
import type { AuthProviderCheck, AuthProviderSuiteOptions } from './auth-provider-checks.js';
import { ConformanceError, ensure, expectCode, rejection } from './conformance.js';

/** A session the suite drives into a refresh, plus what it needs to observe and clean up. */
export interface RefreshScenario {
  /** Signed in, with an access token that is already due for refresh. */
  readonly session: AuthProvider;
  /** How many refresh requests reached the identity provider for this session so far. */
  refreshAttempts(): number | Promise<number>;
  /** Undo what the hook set up (remove injected failures). Called even when the check fails. */
  cleanup?(): void | Promise<void>;
}

export interface TransientScenario {
  /** Signed in, with an access token due for refresh; the identity provider answers 503 / resets. */
  readonly session: AuthProvider;
  /** Make the identity provider answer normally again; the session must then recover by itself. */
  recover?(): void | Promise<void>;
  cleanup?(): void | Promise<void>;
}

export interface RotationScenario {
  /**
   * Signed in; its next refresh makes the identity provider issue a new refresh token and
   * invalidate the old one (Microsoft always does; Google when configured to).
   */
  readonly session: AuthProvider;
  /** A new session bound to the same settings and stores, as after a host restart. */
  reopen(): AuthProvider | Promise<AuthProvider>;
  cleanup?(): void | Promise<void>;
}

/** Flags and hooks of the lifecycle checks; every one is optional. */
export interface AuthProviderLifecycleOptions {
  /**
   * Interactive providers: a session like `createSession` whose clock is `now` (pass it as
   * `init.now`). Enables "an expired sign-in state is refused with SIGN_IN_STATE_INVALID".
   */
  sessionWithClock?(
    definition: AuthProviderDefinition,
    now: () => number,
  ): AuthProvider | Promise<AuthProvider>;
  /**
   * Make the session's refresh fail with the provider's "revoked" error (Google `invalid_grant`,
   * Entra AADSTS50173 / 700082). Enables the re-auth check: REAUTH_REQUIRED, one
   * `reauthRequired` event, state `reauthRequired`, and exactly one refresh attempt.
   */
  revokedSession?(definition: AuthProviderDefinition): Promise<RefreshScenario>;
  /** Make the session's refresh fail transiently. Enables "transient failures are `retry`, never re-auth". */
  transientSession?(definition: AuthProviderDefinition): Promise<TransientScenario>;
  /**
   * User sign-in providers: `signOut` forgets the sign-in. Enables "signOut fires `removed` and
   * getCredential then fails with SIGN_IN_REQUIRED" (on an `authorizedSession`).
   */
  signOutForgetsSignIn?: boolean;
  /** Enables "a rotated refresh token is persisted": `changed`/`rotated`, and a restart still refreshes. */
  rotatingSession?(definition: AuthProviderDefinition): Promise<RotationScenario>;
}

const protocolOf = (d: AuthProviderDefinition, o: AuthProviderSuiteOptions) =>
  o.protocol ?? d.capabilities.protocols[0] ?? 'smtp';

function recordChanges(session: AuthProvider): { changes: SessionChange[]; stop(): unknown } {
  const changes: SessionChange[] = [];
  const subscription = session.onDidChangeSession((change) => changes.push(change));
  return { changes, stop: () => subscription.dispose() };
}

async function runScenario<S extends { session: AuthProvider; cleanup?(): void | Promise<void> }>(
  scenario: Promise<S>,
  body: (s: S) => Promise<void>,
): Promise<void> {
  const s = await scenario;
  try {
    await body(s);
  } finally {
    try {
      await s.session.dispose();
    } finally {
      await s.cleanup?.();
    }
  }
}

export const expiredSignInStateCheck: AuthProviderCheck = {
  name: 'completeSignIn refuses a sign-in whose state expired with SIGN_IN_STATE_INVALID',
  applies: (o) => o.interactive === true && typeof o.sessionWithClock === 'function',
  async run(d, o) {
    ensure(o.sessionWithClock, 'the sessionWithClock hook is missing.');
    let clock = Date.now();
    const session = await o.sessionWithClock(d, () => clock);
    try {
      ensure(session.beginSignIn && session.completeSignIn, 'interactive methods are missing.');
      const start = await session.beginSignIn();
      ensure(start.expiresAt > clock, 'beginSignIn must return an expiresAt after the session clock.');
      // Real consent when the suite can play it, so only the expiry can make the callback fail.
      const params = o.authorize
        ? await o.authorize(start)
        : { state: start.state, code: 'code-issued-before-expiry' };
      clock = start.expiresAt + 1_000;
      await expectCode(
        () => session.completeSignIn!(params),
        CoreErrorCode.SignInStateInvalid,
        'completeSignIn after the sign-in state expired',
      );
    } finally {
      await session.dispose();
    }
  },
};

export const revokedGrantCheck: AuthProviderCheck = {
  name: 'a revoked grant asks for re-auth once: one reauthRequired event, state reauthRequired, no retry loop',
  applies: (o) => typeof o.revokedSession === 'function',
  async run(d, o) {
    ensure(o.revokedSession, 'the revokedSession hook is missing.');
    await runScenario(o.revokedSession(d), async ({ session, refreshAttempts }) => {
      const recorder = recordChanges(session);
      const protocol = protocolOf(d, o);
      const first = await expectCode(
        () => session.getCredential({ protocol }),
        CoreErrorCode.ReauthRequired,
        'getCredential after the grant was revoked',
      );
      ensure(
        first.action === 'user',
        `REAUTH_REQUIRED must be for the user to act on, got "${first.action}".`,
      );
      for (const forceRefresh of [false, true, false]) {
        await expectCode(
          () => session.getCredential({ protocol, forceRefresh }),
          CoreErrorCode.ReauthRequired,
          `getCredential({ forceRefresh: ${forceRefresh} }) once re-auth is required`,
        );
      }
      const status = await session.checkAuthorization();
      ensure(
        status.state === 'reauthRequired',
        `checkAuthorization must report "reauthRequired", got "${status.state}".`,
      );
      const announced = recorder.changes.filter((c) => c.type === 'reauthRequired');
      ensure(
        announced.length === 1,
        `the reauthRequired event must fire exactly once, fired ${announced.length} times.`,
      );
      const attempts = await refreshAttempts();
      ensure(
        attempts === 1,
        `a revoked grant must be tried once and then left alone until the user signs in; the identity provider saw ${attempts} refresh attempts.`,
      );
      recorder.stop();
    });
  },
};

export const transientFailureCheck: AuthProviderCheck = {
  name: 'transient refresh failures are classified retry and never turn into re-auth',
  applies: (o) => typeof o.transientSession === 'function',
  async run(d, o) {
    ensure(o.transientSession, 'the transientSession hook is missing.');
    await runScenario(o.transientSession(d), async ({ session, recover }) => {
      const recorder = recordChanges(session);
      const protocol = protocolOf(d, o);
      for (const attempt of [1, 2]) {
        const error = await rejection(
          () => session.getCredential({ protocol }),
          `getCredential while the identity provider is unavailable (call ${attempt})`,
        );
        ensure(
          error.action === 'retry',
          `a transient failure must have action "retry", got "${error.action}" (${error.code}).`,
        );
      }
      const status = await session.checkAuthorization();
      ensure(
        status.state !== 'reauthRequired' && status.state !== 'signInRequired',
        `checkAuthorization must not ask for a sign-in over a transient failure, got "${status.state}".`,
      );
      ensure(
        !recorder.changes.some((c) => c.type === 'reauthRequired'),
        'a transient failure must never fire reauthRequired.',
      );
      if (recover) {
        await recover();
        const credential = await session.getCredential({ protocol });
        ensure(
          credential.user.length > 0,
          'after the identity provider recovers, getCredential must succeed.',
        );
      }
      recorder.stop();
    });
  },
};

export const signOutCheck: AuthProviderCheck = {
  name: 'signOut fires removed and afterwards getCredential fails with SIGN_IN_REQUIRED',
  applies: (o) => o.signOutForgetsSignIn === true,
  async run(d, o) {
    const session = await o.authorizedSession(d);
    try {
      const recorder = recordChanges(session);
      const protocol = protocolOf(d, o);
      await session.getCredential({ protocol });
      await session.signOut();
      const removed = recorder.changes.filter((c) => c.type === 'removed');
      ensure(
        removed.length === 1 && removed[0]?.accountId === session.accountId,
        `signOut must fire one "removed" event for "${session.accountId}", fired ${removed.length}.`,
      );
      await expectCode(
        () => session.getCredential({ protocol }),
        CoreErrorCode.SignInRequired,
        'getCredential after signOut',
      );
      const status = await session.checkAuthorization();
      ensure(
        status.state === 'signInRequired',
        `checkAuthorization after signOut must report "signInRequired", got "${status.state}".`,
      );
      recorder.stop();
    } finally {
      await session.dispose();
    }
  },
};

export const rotationCheck: AuthProviderCheck = {
  name: 'a rotated refresh token is persisted: changed/rotated fires and a restarted session still refreshes',
  applies: (o) => typeof o.rotatingSession === 'function',
  async run(d, o) {
    ensure(o.rotatingSession, 'the rotatingSession hook is missing.');
    await runScenario(o.rotatingSession(d), async ({ session, reopen }) => {
      const recorder = recordChanges(session);
      const protocol = protocolOf(d, o);
      await session.getCredential({ protocol, forceRefresh: true });
      ensure(
        recorder.changes.some((c) => c.type === 'changed' && c.reason === 'rotated'),
        `a refresh that rotated the refresh token must fire changed/rotated; saw [${recorder.changes
          .map((c) => (c.type === 'changed' ? `changed/${c.reason}` : c.type))
          .join(', ')}].`,
      );
      recorder.stop();
      const restarted = await reopen();
      try {
        // The old refresh token is dead now; only the persisted rotated one can succeed.
        const credential = await restarted
          .getCredential({ protocol, forceRefresh: true })
          .catch((error: unknown) => {
            throw new ConformanceError(
              `a restarted session could not refresh, so the rotated refresh token was not persisted: ${String(error)}`,
            );
          });
        ensure(credential.user.length > 0, 'the restarted session must hand out a credential.');
      } finally {
        await restarted.dispose();
      }
    });
  },
};

/** The lifecycle checks, in registration order. */
export const authProviderLifecycleChecks = {
  expiredSignInState: expiredSignInStateCheck,
  revokedGrant: revokedGrantCheck,
  transientFailure: transientFailureCheck,
  signOut: signOutCheck,
  rotation: rotationCheck,
} as const;
