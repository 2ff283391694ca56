/**
 * An honest OAuth provider and the identity provider it talks to, held in memory, for testing the
 * auth provider suite itself (not exported). The provider is built like a first-party one — core's
 * TokenManager, pending sign-ins, PKCE — with interactive and device-code sign-in; the identity
 * provider checks client secrets, codes and refresh tokens, and can revoke, go down and rotate.
 * Each `breakage` breaks one rule on purpose, so the suite's own tests can show the check catching it.
 */
import { createHash } from 'node:crypto';
import {
  type AuthProvider,
  type AuthSession,
  type AuthSessionInit,
  authorizationStateFor,
  CoreErrorCode,
  classifyFailure,
  createPendingSignIns,
  createTokenManager,
  Emitter,
  forgetAccount,
  isMailplugError,
  mailplugError,
  type SessionChange,
  type SignOutResult,
  type TokenSet,
} from '@mailplug/core';
import { type FakeIdentityProvider, token } from './test-identity-provider.js';

export { createFakeIdentityProvider, type FakeIdentityProvider } from './test-identity-provider.js';

export type OAuthBreakage =
  /** A refresh hands out the new token with the old (past) expiry. */
  | 'keepsOldExpiry'
  /** signOut announces `removed` and revokes, but keeps the tokens. */
  | 'signOutKeepsTokens'
  /** signOut keeps the tokens when the identity provider's revocation fails. */
  | 'keepsTokensWhenRevocationFails'
  /** A failed getCredential throws its own error naming the refresh token, base64-encoded. */
  | 'leaksBase64RefreshToken'
  /** Logs the first characters of the refresh token when refreshing. */
  | 'logsRefreshTokenPrefix'
  /** Sign-in states never expire. */
  | 'ignoresStateExpiry'
  /** Clears the re-auth state after a failure, so every call refreshes again. */
  | 'retriesRevoked'
  /** Classifies every refresh failure as "the user must sign in again". */
  | 'transientAsReauth'
  /** checkAuthorization reports an outage as misconfigured. */
  | 'outageAsMisconfigured'
  /** Reports a rotation but keeps the old (now dead) refresh token. */
  | 'dropsRotatedToken'
  /** Capabilities promise device-code sign-in, sessions have none. */
  | 'noDeviceCode'
  /** Reports denied consent as an invalid state. */
  | 'deniedAsInvalidState'
  /** One PKCE verifier for every sign-in of a session. */
  | 'reusesPkce'
  /** Completes a sign-in that another account's session began. */
  | 'stateNotBoundToAccount'
  /** Shows the device-code prompt twice. */
  | 'promptsTwice'
  /** checkAuthorization says authorized before anyone signed in. */
  | 'authorizedBeforeSignIn';

/** The settings schema and capabilities the fake provider declares (also its package.json entry). */
export const fakeOAuthShape = {
  id: 'suite-oauth',
  label: 'Suite OAuth',
  capabilities: {
    interactive: true,
    deviceCode: true,
    appOnly: false,
    protocols: ['smtp'],
    credentialKind: 'oauth2',
  },
  settingsSchema: {
    fields: [
      { key: 'clientId', label: 'Client ID', type: 'string', required: true, pattern: '^[0-9a-f-]{8,}$' },
      { key: 'clientSecret', label: 'Client secret', type: 'secret', required: true },
      { key: 'authorizeUrl', label: 'Authorize URL', type: 'url', required: true },
      { key: 'redirectUri', label: 'Redirect URI', type: 'url', required: true },
    ],
  },
} as const satisfies Pick<AuthProvider, 'id' | 'label' | 'capabilities' | 'settingsSchema'>;

/** A package.json declaring the fake provider. */
export const fakeOAuthPackageJson = {
  name: '@example/suite-oauth',
  mailplug: { specificationVersion: 'v1', authProviders: [JSON.parse(JSON.stringify(fakeOAuthShape))] },
};

export function fakeOAuthProvider(
  idp: FakeIdentityProvider,
  breakage?: OAuthBreakage,
  factoryOptions: { retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number } } = {},
): AuthProvider {
  return {
    specificationVersion: 'v1',
    ...fakeOAuthShape,
    createSession: (init) => createSession(init, idp, breakage, factoryOptions.retry),
  };
}

function createSession(
  init: AuthSessionInit,
  idp: FakeIdentityProvider,
  breakage: OAuthBreakage | undefined,
  retry: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number } | undefined,
): AuthSession {
  const { accountId } = init;
  const now = init.now ?? Date.now;
  const changes = new Emitter<SessionChange>();
  let frozen: number | undefined;
  const sessionVerifier = token('');
  const pending = createPendingSignIns({
    store: init.tokenStore,
    // The broken variant reads the clock once, so a state it issued never looks expired.
    now: breakage === 'ignoresStateExpiry' ? () => (frozen ??= now()) : now,
  });
  const clientSecret = async () =>
    init.secrets.get((init.settings.clientSecret as { secretRef: string }).secretRef);
  const classify = (error: unknown) => {
    if (breakage === 'transientAsReauth') {
      return mailplugError('SUITE_SIGN_IN_AGAIN', 'user', 'The sign-in failed.', 'Sign in again.', {
        cause: error,
      });
    }
    return classifyFailure(error);
  };
  const tokens = createTokenManager({
    accountId,
    store: init.tokenStore,
    now,
    ...(init.logger ? { logger: init.logger } : {}),
    ...(retry ? { retry } : {}),
    classify,
    async refresh(current): Promise<TokenSet> {
      const old = current?.refreshToken ?? '';
      if (breakage === 'logsRefreshTokenPrefix')
        init.logger?.debug(`refreshing with ${old.slice(0, 12)}…`, { accountId });
      const answer = await idp.token({ clientSecret: await clientSecret(), refreshToken: old });
      const expiresAt =
        breakage === 'keepsOldExpiry' && current ? current.expiresAt : now() + answer.expiresIn * 1000;
      const base = { ...(current as TokenSet), accessToken: answer.accessToken, expiresAt };
      if (breakage === 'dropsRotatedToken')
        return { ...base, refreshToken: old, rotated: answer.refreshToken !== old } as TokenSet;
      return { ...base, refreshToken: answer.refreshToken };
    },
  });
  const forwarding = tokens.onDidChange((change) => changes.fire(change));

  async function signedIn(answer: { accessToken: string; refreshToken: string; expiresIn: number }) {
    await tokens.save({
      accessToken: answer.accessToken,
      expiresAt: now() + answer.expiresIn * 1000,
      refreshToken: answer.refreshToken,
      scopes: ['smtp'],
      user: 'user@example.com',
    });
    changes.fire({ type: 'added', accountId, identity: { mailbox: 'user@example.com' } });
    return { mailbox: 'user@example.com' };
  }

  async function getCredential(request: { protocol: string; forceRefresh?: boolean }) {
    try {
      return await tokens.getCredential(request);
    } catch (error) {
      if (breakage === 'leaksBase64RefreshToken') {
        const stored = await tokens.load();
        throw new Error(`Refreshing ${Buffer.from(stored?.refreshToken ?? '').toString('base64')} failed.`);
      }
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

  const session: AuthSession = {
    providerId: fakeOAuthShape.id,
    accountId,
    onDidChangeSession: changes.event,
    interactive: {
      async begin() {
        const verifier = breakage === 'reusesPkce' ? sessionVerifier : token('');
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        const { state, expiresAt } = await pending.issue(accountId, { verifier });
        const url = new URL(String(init.settings.authorizeUrl));
        url.searchParams.set('client_id', String(init.settings.clientId));
        url.searchParams.set('state', state);
        url.searchParams.set('code_challenge', challenge);
        url.searchParams.set('code_challenge_method', 'S256');
        return { url: url.href, state, redirectUri: String(init.settings.redirectUri), expiresAt };
      },
      async complete(params) {
        const { data } = await pending.consume(
          params.state ?? '',
          breakage === 'stateNotBoundToAccount' ? undefined : { accountId },
        );
        if (params.error) {
          if (breakage === 'deniedAsInvalidState') {
            throw mailplugError(
              CoreErrorCode.SignInStateInvalid,
              'user',
              'The sign-in is not valid.',
              'Start again.',
            );
          }
          throw mailplugError(
            CoreErrorCode.SignInDenied,
            'user',
            'Consent was declined.',
            'Sign in again and accept.',
          );
        }
        const answer = await idp
          .token({
            clientSecret: await clientSecret(),
            code: params.code ?? '',
            verifier: String(data.verifier),
          })
          .catch((error: unknown) => {
            throw classifyFailure(error);
          });
        return signedIn(answer);
      },
    },
    getCredential,
    async checkAuthorization() {
      const state = await tokens.state();
      if (state === 'signInRequired' && breakage === 'authorizedBeforeSignIn')
        return { state: 'authorized', grantedScopes: [] };
      if (state !== 'authorized') return { state, grantedScopes: [] };
      try {
        const credential = await getCredential({ protocol: 'smtp' });
        return {
          state: 'authorized',
          grantedScopes: credential.scopes,
          accessTokenExpiresAt: credential.expiresAt,
        };
      } catch (error) {
        const e = isMailplugError(error) ? error : classifyFailure(error);
        const mapped =
          breakage === 'outageAsMisconfigured' && e.action === 'retry'
            ? 'misconfigured'
            : authorizationStateFor(e);
        return { state: mapped, grantedScopes: [], error: e };
      }
    },
    async signOut(): Promise<SignOutResult> {
      const stored = await tokens.load();
      let result: SignOutResult = { revocation: 'nothingToRevoke' };
      if (stored?.refreshToken) {
        try {
          await idp.revoke(stored.refreshToken);
          result = { revocation: 'revoked' };
        } catch (error) {
          result = { revocation: 'failed', error: classifyFailure(error) };
        }
      }
      const keep =
        breakage === 'signOutKeepsTokens' ||
        (breakage === 'keepsTokensWhenRevocationFails' && result.revocation === 'failed');
      if (!keep) await forgetAccount(init.tokenStore, accountId);
      changes.fire({ type: 'removed', accountId });
      return result;
    },
    dispose() {
      forwarding.dispose();
      tokens.dispose();
      changes.dispose();
    },
  };
  if (breakage !== 'noDeviceCode') {
    return {
      ...session,
      deviceCode: {
        async signIn(options) {
          const { userCode, approved } = idp.startDeviceCode();
          const prompt = {
            userCode,
            verificationUri: 'https://idp.example.com/device',
            expiresAt: now() + 900_000,
            message: `Open https://idp.example.com/device and enter ${userCode}.`,
          };
          options.onPrompt(prompt);
          if (breakage === 'promptsTwice') options.onPrompt(prompt);
          return signedIn(await approved);
        },
      },
    };
  }
  return session;
}
