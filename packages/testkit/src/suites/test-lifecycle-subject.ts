/**
 * An honest refreshing OAuth provider for testing the lifecycle checks themselves (not exported):
 * core's TokenManager and pending sign-ins over an in-memory identity provider that can revoke,
 * go unavailable and rotate refresh tokens. Each `breakage` breaks one lifecycle rule on purpose.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  type AuthProvider,
  type AuthProviderDefinition,
  type AuthProviderInit,
  CoreErrorCode,
  type CredentialRequest,
  classifyFailure,
  createPendingSignIns,
  createTokenManager,
  Emitter,
  isMailplugError,
  mailplugError,
  type SessionChange,
} from '@mailplug/core';
import { oauthSubjectShape } from './test-subjects.js';

export type LifecycleBreakage =
  /** Sign-in states never expire. */
  | 'ignoresStateExpiry'
  /** Clears the re-auth state after a failure, so every call refreshes again. */
  | 'retriesRevoked'
  /** Classifies every refresh failure as "the user must sign in again". */
  | 'transientAsReauth'
  /** signOut announces `removed` but keeps the tokens. */
  | 'signOutKeepsTokens'
  /** Reports a rotation but keeps the old (now dead) refresh token. */
  | 'dropsRotatedToken';

/** The identity provider's side: live refresh tokens, a failure mode and a request counter. */
export interface FakeIdentityProvider {
  mode: 'ok' | 'revoked' | 'unavailable';
  rotate: boolean;
  refreshAttempts: number;
  readonly live: Set<string>;
}

export function createFakeIdentityProvider(): FakeIdentityProvider {
  return { mode: 'ok', rotate: false, refreshAttempts: 0, live: new Set() };
}

const token = () => randomBytes(18).toString('base64url');

export function lifecycleOAuthProvider(
  idp: FakeIdentityProvider,
  breakage?: LifecycleBreakage,
): AuthProviderDefinition {
  return {
    specificationVersion: 'v1',
    id: 'suite-lifecycle',
    label: 'Suite lifecycle OAuth',
    ...oauthSubjectShape,
    create: (init) => createSession(init, idp, breakage),
  };
}

function createSession(
  init: AuthProviderInit,
  idp: FakeIdentityProvider,
  breakage: LifecycleBreakage | undefined,
): AuthProvider {
  const { accountId } = init;
  const now = init.now ?? Date.now;
  const changes = new Emitter<SessionChange>();
  let frozen: number | undefined;
  const pending = createPendingSignIns({
    store: init.tokenStore,
    // The broken variant reads the clock once, so a state it issued never looks expired.
    now: breakage === 'ignoresStateExpiry' ? () => (frozen ??= now()) : now,
  });
  const tokens = createTokenManager({
    accountId,
    store: init.tokenStore,
    now,
    retry: { attempts: 1 },
    classify: (error) =>
      breakage === 'transientAsReauth'
        ? mailplugError('SUITE_SIGN_IN_AGAIN', 'user', 'The sign-in failed.', 'Sign in again.', {
            cause: error,
          })
        : classifyFailure(error),
    async refresh(current) {
      idp.refreshAttempts++;
      if (idp.mode === 'unavailable') throw Object.assign(new Error('Service Unavailable'), { status: 503 });
      const old = current?.refreshToken;
      if (idp.mode === 'revoked' || !old || !idp.live.has(old)) {
        throw { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' };
      }
      const base = { ...current, accessToken: token(), expiresAt: now() + 3_600_000 };
      if (!idp.rotate) return base;
      idp.live.delete(old);
      const next = token();
      idp.live.add(next);
      return breakage === 'dropsRotatedToken' ? { ...base, rotated: true } : { ...base, refreshToken: next };
    },
  });
  const forwarding = tokens.onDidChange((change) => changes.fire(change));

  async function getCredential(request: CredentialRequest = { protocol: 'line' }) {
    try {
      return await tokens.getCredential(request);
    } catch (error) {
      if (
        breakage === 'retriesRevoked' &&
        isMailplugError(error) &&
        error.code === CoreErrorCode.ReauthRequired
      ) {
        await init.tokenStore.delete(`${accountId}:state`);
      }
      throw error;
    }
  }

  return {
    providerId: 'suite-lifecycle',
    accountId,
    onDidChangeSession: changes.event,
    async beginSignIn() {
      const verifier = token();
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const { state, expiresAt } = await pending.issue(accountId, { challenge });
      const url = new URL(String(init.settings.authorizeUrl));
      url.searchParams.set('state', state);
      url.searchParams.set('code_challenge', challenge);
      url.searchParams.set('code_challenge_method', 'S256');
      return { url: url.href, state, redirectUri: String(init.settings.redirectUri), expiresAt };
    },
    async completeSignIn(params) {
      const { data } = await pending.consume(params.state ?? '');
      if (params.error) {
        throw mailplugError(
          CoreErrorCode.SignInDenied,
          'user',
          'Consent was declined.',
          'Sign in again and accept.',
        );
      }
      if (params.code !== `code-for-${String(data.challenge)}`) {
        throw mailplugError(
          'SUITE_CODE_INVALID',
          'user',
          'The code is not valid.',
          'Start the sign-in again.',
        );
      }
      const refreshToken = token();
      idp.live.add(refreshToken);
      await tokens.save({
        accessToken: token(),
        expiresAt: now() + 3_600_000,
        refreshToken,
        scopes: ['line'],
        user: 'user@example.com',
      });
      changes.fire({ type: 'added', accountId, identity: { mailbox: 'user@example.com' } });
      return { mailbox: 'user@example.com' };
    },
    getCredential,
    async checkAuthorization() {
      const state = await tokens.state();
      if (state !== 'authorized') return { state, grantedScopes: [] };
      try {
        const credential = await getCredential();
        return { state: 'authorized', grantedScopes: credential.scopes };
      } catch (error) {
        if (!isMailplugError(error)) throw error;
        const problemState =
          error.action === 'user'
            ? 'reauthRequired'
            : error.action === 'retry'
              ? 'authorized'
              : 'misconfigured';
        return { state: problemState, grantedScopes: [], problem: error };
      }
    },
    async signOut() {
      if (breakage !== 'signOutKeepsTokens') await tokens.clear();
      changes.fire({ type: 'removed', accountId });
    },
    dispose() {
      forwarding.dispose();
      tokens.dispose();
      changes.dispose();
    },
  };
}
