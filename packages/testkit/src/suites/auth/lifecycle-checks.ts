/**
 * Token lifecycle checks, on by default: refreshes carry the new expiry, outages are not sign-in
 * problems, a revoked grant asks the user once, rotated refresh tokens survive a restart, and
 * sign-out forgets everything.
 */
import { CoreErrorCode, isMailplugError, type SignOutResult } from '@mailplug/core';
import { ConformanceError, describeError, ensure, expectCode, rejection, succeeds } from '../conformance.js';
import { type AuthHarness, type BoundSession, keysLeft, userSignIn } from './auth-harness.js';
import type { AuthProviderCheck } from './contract-checks.js';

const changeNames = (bound: BoundSession) =>
  bound.changes.map((c) => (c.type === 'changed' ? `changed/${c.reason}` : c.type)).join(', ') || 'none';

export const refreshExpiryCheck: AuthProviderCheck = {
  id: 'refreshExpiry',
  name: 'a refreshed credential carries the new expiry, and is reused until then',
  canOptOut: true,
  async run(h) {
    const { bound, before } = await h.dueForRefresh();
    const { session } = bound;
    const after = await succeeds(
      () => session.getCredential({ protocol: h.protocol }),
      'getCredential once the token expired',
    );
    ensure(after.kind === 'oauth2', 'the refreshed credential must be oauth2.');
    ensure(
      after.accessToken !== before.accessToken,
      'once the access token expired, getCredential must hand out a new one.',
    );
    ensure(
      after.expiresAt > h.clock.now(),
      `the refreshed credential must carry the new token's expiry; it says ${new Date(after.expiresAt).toISOString()}, already past on the session clock (the old expiry was ${new Date(before.expiresAt).toISOString()}).`,
    );
    const again = await succeeds(
      () => session.getCredential({ protocol: h.protocol }),
      'getCredential right after a refresh',
    );
    ensure(
      again.kind === 'oauth2' && again.accessToken === after.accessToken,
      'right after a refresh, getCredential must reuse the new token instead of refreshing again.',
    );
    if (userSignIn(h.provider)) {
      ensure(
        bound.changes.some((c) => c.type === 'changed'),
        `a refresh must fire "changed" (refreshed or rotated); saw [${changeNames(bound)}].`,
      );
    }
  },
};

export const transientFailureCheck: AuthProviderCheck = {
  id: 'transientFailure',
  name: 'an unavailable identity provider is "retry" and temporarilyUnavailable, never re-auth, and the session recovers',
  canOptOut: true,
  async run(h) {
    const { bound } = await h.dueForRefresh();
    const { session } = bound;
    const fault = h.fail('unavailable');
    for (const attempt of [1, 2]) {
      const error = await rejection(
        () => session.getCredential({ protocol: h.protocol }),
        `getCredential while the identity provider answers 503 (call ${attempt})`,
      );
      ensure(
        error.action === 'retry',
        `a transient failure must have action "retry", got "${error.action}": ${describeError(error)}`,
      );
    }
    const status = await succeeds(() => session.checkAuthorization(), 'checkAuthorization during an outage');
    ensure(
      status.state === 'temporarilyUnavailable',
      `checkAuthorization during an outage must say "temporarilyUnavailable" (never ask an admin or user to act), got "${status.state}".`,
    );
    ensure(
      isMailplugError(status.error) && status.error.action === 'retry',
      'that status must carry the "retry" error.',
    );
    ensure(
      !bound.changes.some((c) => c.type === 'reauthRequired'),
      'a transient failure must never fire reauthRequired.',
    );
    fault.remove();
    const credential = await succeeds(
      () => session.getCredential({ protocol: h.protocol }),
      'getCredential after the identity provider recovered',
    );
    ensure(
      credential.kind === 'oauth2' && credential.expiresAt > h.clock.now(),
      'after recovery the credential must be fresh.',
    );
  },
};

export const revokedGrantCheck: AuthProviderCheck = {
  id: 'revokedGrant',
  name: 'a revoked grant asks for re-auth once: one refresh attempt, one reauthRequired event, state reauthRequired',
  canOptOut: true,
  async run(h) {
    const { bound } = await h.dueForRefresh();
    const { session } = bound;
    const fault = h.fail('revoked');
    const first = await expectCode(
      () => session.getCredential({ protocol: h.protocol }),
      CoreErrorCode.ReauthRequired,
      'getCredential after the grant was revoked',
    );
    ensure(first.action === 'user', `REAUTH_REQUIRED is for the user to act on, got "${first.action}".`);
    for (const forceRefresh of [false, true, false]) {
      await expectCode(
        () => session.getCredential({ protocol: h.protocol, forceRefresh }),
        CoreErrorCode.ReauthRequired,
        `getCredential({ forceRefresh: ${forceRefresh} }) once re-auth is required`,
      );
    }
    const status = await succeeds(
      () => session.checkAuthorization(),
      'checkAuthorization after the grant was revoked',
    );
    ensure(
      status.state === 'reauthRequired',
      `checkAuthorization must say "reauthRequired", got "${status.state}".`,
    );
    const announced = bound.changes.filter((c) => c.type === 'reauthRequired');
    ensure(announced.length === 1, `reauthRequired must fire exactly once, fired ${announced.length} times.`);
    ensure(
      fault.hits === 1,
      `a revoked grant must be tried once and then left alone until the user signs in; the identity provider saw ${fault.hits} refresh attempts.`,
    );
  },
};

export const rotationCheck: AuthProviderCheck = {
  id: 'rotation',
  name: 'a rotated refresh token is persisted: changed/rotated fires and a restarted session still refreshes',
  canOptOut: true,
  async run(h) {
    if (!h.environment.rotatesRefreshTokens) {
      throw new ConformanceError(
        'the environment does not rotate refresh tokens (rotatesRefreshTokens), so rotation cannot be checked. Make its identity provider rotate them, or opt out of "rotation" with a reason.',
      );
    }
    const { bound } = await h.dueForRefresh();
    await succeeds(
      () => bound.session.getCredential({ protocol: h.protocol }),
      'the refresh that rotates the refresh token',
    );
    ensure(
      bound.changes.some((c) => c.type === 'changed' && c.reason === 'rotated'),
      `a refresh that rotated the refresh token must fire changed/rotated; saw [${changeNames(bound)}].`,
    );
    // The old refresh token is dead now; only the persisted rotated one can refresh after a restart.
    const restarted = h.open({ accountId: bound.accountId, store: bound.store, secrets: bound.secrets });
    await succeeds(
      () => restarted.session.getCredential({ protocol: h.protocol, forceRefresh: true }),
      'A restarted session (same stores) refreshing, which needs the rotated refresh token to have been persisted,',
    );
  },
};

function checkResult(result: SignOutResult, what: string): void {
  ensure(result && typeof result === 'object', `${what} must return a SignOutResult, got ${String(result)}.`);
  ensure(
    ['revoked', 'failed', 'unsupported', 'nothingToRevoke'].includes(result.revocation),
    `${what}: revocation must be revoked, failed, unsupported or nothingToRevoke, got ${JSON.stringify(result.revocation)}.`,
  );
  if (result.revocation === 'failed') {
    ensure(isMailplugError(result.error), `${what}: a failed revocation must carry the MailplugError.`);
    ensure(result.error.hint.trim().length > 0, `${what}: the revocation error needs a hint.`);
  }
}

function ensureForgotten(bound: BoundSession, what: string): void {
  const left = keysLeft(bound);
  ensure(left.length === 0, `${what} left the account's keys in the token store: ${left.join(', ')}.`);
}

async function signOut(bound: BoundSession, what: string): Promise<SignOutResult> {
  const result = await succeeds(() => bound.session.signOut(), what);
  checkResult(result, what);
  return result;
}

async function ensureSignedOut(h: AuthHarness, bound: BoundSession, what: string): Promise<void> {
  if (!userSignIn(h.provider)) return;
  const removed = bound.changes.filter((c) => c.type === 'removed');
  ensure(
    removed.length === 1 && removed[0]?.accountId === bound.accountId,
    `${what} must fire one "removed" event for "${bound.accountId}", fired ${removed.length}.`,
  );
  await expectCode(
    () => bound.session.getCredential({ protocol: h.protocol }),
    CoreErrorCode.SignInRequired,
    `getCredential after ${what}`,
  );
  const status = await succeeds(() => bound.session.checkAuthorization(), `checkAuthorization after ${what}`);
  ensure(
    status.state === 'signInRequired',
    `checkAuthorization after ${what} must say "signInRequired", got "${status.state}".`,
  );
}

export const signOutCheck: AuthProviderCheck = {
  id: 'signOut',
  name: 'signOut returns a SignOutResult and leaves nothing of the account in the token store, also when revocation fails',
  canOptOut: true,
  async run(h) {
    const fresh = h.open();
    const never = await signOut(fresh, 'signOut before anyone signed in');
    ensure(
      never.revocation === 'nothingToRevoke' || never.revocation === 'unsupported',
      `signOut before anyone signed in must say nothingToRevoke (or unsupported), got "${never.revocation}".`,
    );
    ensureForgotten(fresh, 'signOut before anyone signed in');

    const bound = h.open();
    await h.authorize(bound);
    await succeeds(
      () => bound.session.getCredential({ protocol: h.protocol }),
      'getCredential before signOut',
    );
    const result = await signOut(bound, 'signOut');
    ensure(
      !(userSignIn(h.provider) && result.revocation === 'nothingToRevoke'),
      'signOut after a sign-in said nothingToRevoke; there was a grant.',
    );
    ensureForgotten(bound, 'signOut');
    await ensureSignedOut(h, bound, 'signOut');

    if (!h.environment.failRevocation) return;
    const failing = h.open();
    await h.authorize(failing);
    await succeeds(
      () => failing.session.getCredential({ protocol: h.protocol }),
      'getCredential before signOut',
    );
    h.fail('revocation');
    const failed = await signOut(failing, 'signOut while revocation fails');
    ensure(
      failed.revocation === 'failed' || failed.revocation === 'unsupported',
      `signOut while the identity provider's revocation fails must say "failed", got "${failed.revocation}".`,
    );
    ensureForgotten(failing, 'signOut while revocation fails');
    await ensureSignedOut(h, failing, 'signOut while revocation fails');
  },
};

export const lifecycleChecks: readonly AuthProviderCheck[] = [
  signOutCheck,
  refreshExpiryCheck,
  transientFailureCheck,
  revokedGrantCheck,
  rotationCheck,
];
