import type {
  AuthorizationStatus,
  AuthSessionInit,
  MailboxIdentity,
  SessionChange,
  SignOutResult,
} from '../spec/v1/auth-provider.js';
import type { MailCredential } from '../spec/v1/credential.js';
import { type Disposable, Emitter, type Event } from '../spec/v1/disposable.js';
import { isMailplugError, type MailplugError } from '../spec/v1/mailplug-error.js';
import { classifyFailure } from '../tokens/classify-failure.js';
import {
  createTokenManager,
  type TokenManager,
  type TokenManagerOptions,
  type TokenSet,
} from '../tokens/token-manager.js';
import { authorizationStateFor } from './authorization-state.js';
import { forgetAccount } from './forget-account.js';
import { identityFromTokenSet } from './token-identity.js';

/**
 * Token tuning every OAuth provider factory accepts, flat and with the same meaning everywhere.
 *
 * @example
 * const provider = createGmailOAuth({ earlyRefreshMs: 10 * 60_000, retry: { attempts: 2 } });
 */
export interface TokenTuningOptions {
  /** Refresh this long before the access token expires. Default: the TokenManager's (5 minutes). */
  readonly earlyRefreshMs?: number;
  /**
   * Retries of transient token-endpoint failures: total attempts, exponential base and ceiling.
   * Default: the TokenManager's (4 attempts, 500 ms, 30 s).
   */
  readonly retry?: TokenManagerOptions['retry'];
  /**
   * Deadline of one token request (ms). Default: the TokenManager's (15 s). Providers pass the same
   * value to their library (msal network client, gaxios `timeout`) so the socket is dropped too.
   */
  readonly requestTimeoutMs?: number;
}

export interface TokenSessionOptions extends TokenTuningOptions {
  /** Obtains a fresh token set (refresh token grant, client credentials, msal silent...). */
  readonly refresh: TokenManagerOptions['refresh'];
  /** Maps a provider failure to a MailplugError. Default: core's `classifyFailure`. */
  readonly classify?: (error: unknown) => MailplugError;
  /** App-only flows: the first `getCredential` acquires the first token (nobody signs in). */
  readonly acquireWhenEmpty?: boolean;
  /** Expiries of the app's own credentials, announced through `expiringSoon`. */
  readonly knownExpiries?: TokenManagerOptions['knownExpiries'];
}

export interface AuthorizationCheck {
  /** The live part of the check: a silent credential for the account's main protocol. */
  probe(): Promise<MailCredential>;
  /** Who the account is authorized as. Default: read from the stored token set. */
  identity?(stored: TokenSet | undefined): MailboxIdentity | undefined;
  /** When the authorization itself ends (an app's client secret or certificate). */
  readonly authorizationExpiresAt?: number | undefined;
  /** What ends then (default `refreshToken`). */
  readonly authorizationExpiresWith?: 'refreshToken' | 'clientSecret' | 'certificate' | undefined;
}

/**
 * The part of an `AuthSession` every OAuth provider shares: the TokenManager, its changes
 * forwarded to `onDidChangeSession`, `checkAuthorization`, sign-out that forgets every key of the
 * account, and disposal in order (stop forwarding, stop the manager, close the emitter).
 */
export interface TokenSession extends Disposable {
  readonly tokens: TokenManager;
  readonly onDidChangeSession: Event<SessionChange>;
  /** Reports a completed sign-in (`added`). */
  signedIn(identity: MailboxIdentity): void;
  /**
   * Reads the stored sign-in state; when it is `authorized`, also runs `check.probe()` so an
   * expired or revoked grant is found now. A failure is mapped with `authorizationStateFor`:
   * a transient one is `temporarilyUnavailable`, never `authorized` or `misconfigured`.
   */
  checkAuthorization(check: AuthorizationCheck): Promise<AuthorizationStatus>;
  /**
   * Runs `revoke` with the stored tokens (skipped, `nothingToRevoke`, when none are stored;
   * without `revoke` the result is `unsupported`), then forgets every key of the account
   * (`forgetAccount`: tokens, state, msal's cache...) and fires `removed` — also when revocation
   * failed, which the result reports.
   */
  signOut(revoke?: (stored: TokenSet) => Promise<SignOutResult>): Promise<SignOutResult>;
  dispose(): void;
}

/**
 * Creates the shared token plumbing of one OAuth session.
 *
 * @example
 * const session = createTokenSession(init, { refresh, classify: classifyGoogleError, ...options });
 * return {
 *   providerId, accountId: init.accountId,
 *   onDidChangeSession: session.onDidChangeSession,
 *   getCredential: (request) => session.tokens.getCredential(request),
 *   checkAuthorization: () => session.checkAuthorization({ probe: () => session.tokens.getCredential({ protocol: 'smtp' }) }),
 *   signOut: () => session.signOut(revokeAtGoogle),
 *   dispose: () => session.dispose(),
 * };
 */
export function createTokenSession(init: AuthSessionInit, options: TokenSessionOptions): TokenSession {
  const { accountId } = init;
  const classify = options.classify ?? classifyFailure;
  const tokens = createTokenManager({
    accountId,
    store: init.tokenStore,
    refresh: options.refresh,
    classify,
    ...(options.acquireWhenEmpty ? { acquireWhenEmpty: true } : {}),
    ...(options.knownExpiries ? { knownExpiries: options.knownExpiries } : {}),
    ...(options.earlyRefreshMs !== undefined ? { earlyRefreshMs: options.earlyRefreshMs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(init.now ? { now: init.now } : {}),
    ...(init.logger ? { logger: init.logger } : {}),
  });
  const changes = new Emitter<SessionChange>();
  const forwarding = tokens.onDidChange((change) => changes.fire(change));

  return {
    tokens,
    onDidChangeSession: changes.event,

    signedIn(identity) {
      changes.fire({ type: 'added', accountId, identity });
    },

    async checkAuthorization(check) {
      const identityOf = (stored: TokenSet | undefined) =>
        check.identity ? check.identity(stored) : stored ? identityFromTokenSet(stored) : undefined;
      const withIdentity = (stored: TokenSet | undefined) => {
        const identity = identityOf(stored);
        return {
          ...(identity ? { identity } : {}),
          ...(check.authorizationExpiresAt !== undefined
            ? {
                authorizationExpiresAt: check.authorizationExpiresAt,
                ...(check.authorizationExpiresWith !== undefined
                  ? { authorizationExpiresWith: check.authorizationExpiresWith }
                  : {}),
              }
            : stored?.refreshTokenExpiresAt !== undefined
              ? { authorizationExpiresAt: stored.refreshTokenExpiresAt }
              : {}),
        };
      };
      const state = await tokens.state();
      const stored = await tokens.load();
      if (state !== 'authorized') {
        return { state, grantedScopes: stored?.scopes ?? [], ...withIdentity(stored) };
      }
      try {
        const credential = await check.probe();
        const fresh = (await tokens.load()) ?? stored;
        return {
          state: 'authorized',
          ...withIdentity(fresh),
          grantedScopes: credential.kind === 'oauth2' ? credential.scopes : (fresh?.scopes ?? []),
          ...(credential.kind === 'oauth2' ? { accessTokenExpiresAt: credential.expiresAt } : {}),
        };
      } catch (failure) {
        const error = isMailplugError(failure) ? failure : classify(failure);
        return {
          state: authorizationStateFor(error),
          ...withIdentity(stored),
          grantedScopes: stored?.scopes ?? [],
          error,
        };
      }
    },

    async signOut(revoke) {
      const stored = await tokens.load();
      let result: SignOutResult = { revocation: stored ? 'unsupported' : 'nothingToRevoke' };
      try {
        if (stored && revoke) result = await revoke(stored);
      } catch (failure) {
        result = { revocation: 'failed', error: isMailplugError(failure) ? failure : classify(failure) };
      } finally {
        // Under the refresh lock first, so a refresh finishing elsewhere cannot bring tokens back;
        // then everything else the account left (a library's own cache, receive cursors...).
        await tokens.clear();
        await forgetAccount(init.tokenStore, accountId);
        changes.fire({ type: 'removed', accountId });
      }
      return result;
    },

    dispose() {
      forwarding.dispose();
      tokens.dispose();
      changes.dispose();
    },
  };
}
