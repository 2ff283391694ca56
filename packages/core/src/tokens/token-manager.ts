import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { SessionChange } from '../spec/v1/auth-provider.js';
import type { CredentialRequest, OAuth2Credential } from '../spec/v1/credential.js';
import { type Disposable, Emitter, type Event } from '../spec/v1/disposable.js';
import { isMailplugError, type MailplugError } from '../spec/v1/mailplug-error.js';
import { processWide } from '../spec/v1/process-wide.js';
import { registerSecret } from '../spec/v1/redact.js';
import type { Logger, StoredValue, TokenStore } from '../spec/v1/stores.js';
import { createRedactingLogger } from '../util/logger.js';
import { createRefreshWithRetry } from './token-manager-retry.js';
import { withCallerSignal } from './token-manager-signal.js';
import { readTokenSet, toStoredTokenSet, validateRefreshResult } from './token-set.js';

/** What the manager persists per account (`${accountId}:tokens`). */
export interface TokenSet {
  accessToken: string;
  /** Epoch ms. */
  expiresAt: number;
  refreshToken?: string | undefined;
  refreshTokenExpiresAt?: number | undefined;
  scopes: string[];
  user: string;
  extra?: Record<string, StoredValue>;
}

/**
 * What a `refresh` callback returns: the new token set, plus whether the refresh token rotated when
 * the provider's library keeps the refresh token itself (msal's cache), so the manager cannot see it.
 */
export interface TokenRefreshResult extends TokenSet {
  /**
   * `true` when the identity provider issued a new refresh token that the provider stored outside
   * the token set. The manager then reports `changed` with reason `rotated`. Not persisted.
   */
  readonly rotated?: boolean;
}

export interface TokenRefreshContext {
  readonly forceRefresh: boolean;
  /** Aborted when the manager is disposed. One caller giving up does not cancel a shared refresh. */
  readonly signal?: AbortSignal;
}

export interface TokenManagerOptions {
  accountId: string;
  store: TokenStore;
  /**
   * Obtain a fresh TokenSet (refresh_token grant, client credentials, msal silent...). May throw
   * anything. `current` is undefined only for the first acquisition with `acquireWhenEmpty`.
   */
  refresh(current: TokenSet | undefined, ctx: TokenRefreshContext): Promise<TokenRefreshResult>;
  /**
   * App-only flows (client credentials, service accounts): when nothing is stored, `getCredential`
   * acquires the first token through `refresh(undefined, ctx)` — single-flight, under the refresh
   * lock, retried and classified like any refresh — instead of throwing SIGN_IN_REQUIRED. An empty
   * store then counts as `authorized` in `state()`. Default false (someone must sign in first).
   */
  acquireWhenEmpty?: boolean;
  /** Map a thrown error to a MailplugError (AADSTS, Google invalid_grant...). Default `classifyFailure`. */
  classify?(error: unknown): MailplugError;
  /** Refresh this long before expiry. Default 5 minutes. */
  earlyRefreshMs?: number;
  /**
   * Transient-failure retries: total attempts, exponential base and ceiling. Default 4 / 500 / 30 000 ms.
   * Delays follow core's `backoffDelay` with full jitter; a Retry-After is a floor.
   */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number; maxTotalMs?: number };
  /**
   * Deadline of one token request (ms). Default 15 000. A hung token endpoint becomes a classified
   * TIMEOUT (`retry`) after this long; `retry.maxTotalMs` (default 30 000) bounds how long a refresh
   * with its retries can take, so a hung identity server ends a send with a classified error in at
   * most 30 s by default.
   */
  requestTimeoutMs?: number;
  /** Fire `expiringSoon` when an expiry falls within this window. Default 14 days. */
  expiringSoonWindowMs?: number;
  /** Epoch ms expiries of the app's own credentials, announced through `expiringSoon`. */
  knownExpiries?: { clientSecret?: number; certificate?: number };
  now?(): number;
  sleep?(ms: number): Promise<void>;
  /** Source of jitter in [0, 1). For tests. Default `Math.random`. */
  random?(): number;
  logger?: Logger;
}

export type AccountAuthState = 'authorized' | 'signInRequired' | 'reauthRequired';

export interface TokenManager extends Disposable {
  /** Silent: a cached or refreshed bearer token; throws a MailplugError, never prompts. */
  getCredential(req: CredentialRequest): Promise<OAuth2Credential>;
  /** Persist tokens after an interactive sign-in; clears a reauthRequired state. */
  save(tokens: TokenSet): Promise<void>;
  load(): Promise<TokenSet | undefined>;
  /** Sign-out: forget tokens and state. */
  clear(): Promise<void>;
  state(): Promise<AccountAuthState>;
  /** 'changed' (refreshed | rotated), 'reauthRequired', 'expiringSoon'. */
  readonly onDidChange: Event<SessionChange>;
}

interface PersistedReauth {
  status: 'reauthRequired';
  since: number;
  message: string;
  hint: string;
  reason: string;
}

/** Default deadline of one token request. */
export const DEFAULT_TOKEN_REQUEST_TIMEOUT_MS = 15_000;
/** Default ceiling on a refresh including its retries. */
export const DEFAULT_REFRESH_CEILING_MS = 30_000;

/**
 * Shared per store and account, so two managers for one account in a process also share a refresh.
 * Kept on `globalThis` under a registered symbol so that two copies of core in one process (a
 * CommonJS host and an ESM adapter) still share it.
 */
const inflightByStore = processWide(
  'inflightRefreshes.v1',
  () => new WeakMap<TokenStore, Map<string, Promise<TokenSet>>>(),
);

/**
 * Silent credentials for one account: cached access token until `earlyRefreshMs` before expiry,
 * then exactly one refresh in flight per account (in this process via a shared promise, across
 * processes via `store.withLock(`${accountId}:refresh`)` and a re-read of the store). Rotated
 * refresh tokens are always persisted. Failures are classified: transient → retried with
 * exponential backoff and full jitter, then TRANSIENT; user → account state `reauthRequired`
 * (persisted, event once, no further refresh calls until `save()`); admin/developer → thrown.
 *
 * @example
 * const tokens = createTokenManager({
 *   accountId: 'acme-billing', store,
 *   refresh: (current) => refreshWithGoogle(current?.refreshToken),
 * });
 * const credential = await tokens.getCredential({ protocol: 'smtp' });
 */
export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const { accountId, store } = options;
  const logger = options.logger ? createRedactingLogger(options.logger) : undefined;
  if (!accountId) {
    throw mailplugError(
      CoreErrorCode.ConfigInvalid,
      'developer',
      'createTokenManager needs an accountId.',
      'Pass the id of the account.',
    );
  }
  const now = options.now ?? Date.now;
  const earlyRefreshMs = options.earlyRefreshMs ?? 5 * 60_000;
  const expiringSoonWindowMs = options.expiringSoonWindowMs ?? 14 * 24 * 60 * 60_000;
  const acquireWhenEmpty = options.acquireWhenEmpty === true;
  const tokensKey = `${accountId}:tokens`;
  const stateKey = `${accountId}:state`;
  const lockKey = `${accountId}:refresh`;

  const emitter = new Emitter<SessionChange>();
  const lifetime = new AbortController();
  const announcedExpiries = new Set<string>();
  let reauthAnnounced = false;
  let disposed = false;

  let inflight = inflightByStore.get(store);
  if (!inflight) {
    inflight = new Map();
    inflightByStore.set(store, inflight);
  }
  const shared = inflight;

  const refreshWithRetry = createRefreshWithRetry({
    accountId,
    refresh: options.refresh,
    ...(options.classify ? { classify: options.classify } : {}),
    attempts: Math.max(1, options.retry?.attempts ?? 4),
    backoff: {
      initialDelayMs: options.retry?.baseDelayMs ?? 500,
      maxDelayMs: options.retry?.maxDelayMs ?? 30_000,
      jitter: 1,
    },
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
    signal: lifetime.signal,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_TOKEN_REQUEST_TIMEOUT_MS,
    maxTotalMs: options.retry?.maxTotalMs ?? DEFAULT_REFRESH_CEILING_MS,
    now,
    ...(logger ? { logger } : {}),
  });

  const isFresh = (tokens: TokenSet) => tokens.expiresAt - now() > earlyRefreshMs;

  const signInRequired = () =>
    mailplugError(
      CoreErrorCode.SignInRequired,
      'user',
      `Account "${accountId}" has no saved sign-in.`,
      'Sign in to the mail account.',
      { details: { accountId } },
    );

  function assertUsable(): void {
    if (disposed) {
      throw mailplugError(
        CoreErrorCode.ConfigInvalid,
        'developer',
        `The token manager for account "${accountId}" was disposed.`,
        'Create a new token manager (or provider session) instead of reusing a disposed one.',
      );
    }
  }

  async function readTokens(): Promise<TokenSet | undefined> {
    const tokens = readTokenSet(await store.get(tokensKey));
    if (tokens) registerTokenSecrets(tokens);
    return tokens;
  }

  async function readReauth(): Promise<PersistedReauth | undefined> {
    const value = await store.get(stateKey);
    if (value && typeof value === 'object' && !Array.isArray(value) && value.status === 'reauthRequired') {
      return value as unknown as PersistedReauth;
    }
    return undefined;
  }

  function reauthErrorFrom(state: PersistedReauth): MailplugError {
    return mailplugError(
      CoreErrorCode.ReauthRequired,
      'user',
      `Account "${accountId}" must sign in again: ${state.message}`,
      state.hint || 'Sign in to the mail account again.',
      { details: { accountId, reason: state.reason, since: state.since } },
    );
  }

  /** Throws REAUTH_REQUIRED when the account is marked, announcing it once per manager. */
  async function throwIfReauthRequired(): Promise<void> {
    const state = await readReauth();
    if (!state) return;
    const error = reauthErrorFrom(state);
    if (!reauthAnnounced) {
      reauthAnnounced = true;
      emitter.fire({ type: 'reauthRequired', accountId, error });
    }
    throw error;
  }

  function announceExpiries(tokens: TokenSet | undefined): void {
    const candidates: Array<['refreshToken' | 'clientSecret' | 'certificate', number | undefined]> = [
      ['refreshToken', tokens?.refreshTokenExpiresAt],
      ['clientSecret', options.knownExpiries?.clientSecret],
      ['certificate', options.knownExpiries?.certificate],
    ];
    for (const [what, expiresAt] of candidates) {
      if (expiresAt === undefined || expiresAt - now() > expiringSoonWindowMs) continue;
      const id = `${what}:${expiresAt}`;
      if (announcedExpiries.has(id)) continue;
      announcedExpiries.add(id);
      logger?.warn('Mailplug credential expires soon', { accountId, what, expiresAt });
      emitter.fire({ type: 'expiringSoon', accountId, what, expiresAt });
    }
  }

  /** `seen` is what the caller read before queueing; undefined for a first app-only acquisition. */
  async function runRefresh(seen: TokenSet | undefined, forceRefresh: boolean): Promise<TokenSet> {
    // Events fire after the lock is released so a listener calling save() cannot wait on us.
    const events: SessionChange[] = [];
    try {
      return await store.withLock(lockKey, async () => {
        const reauth = await readReauth();
        if (reauth) throw reauthErrorFrom(reauth);
        const current = await readTokens();
        if (!current && !acquireWhenEmpty) throw signInRequired();
        // Another process (or an earlier refresh here) may have refreshed while we waited.
        if (current && isFresh(current) && (!forceRefresh || current.accessToken !== seen?.accessToken)) {
          return current;
        }

        let next: TokenSet;
        let reportedRotation: boolean;
        try {
          ({ tokens: next, rotated: reportedRotation } = await refreshWithRetry(current, forceRefresh));
        } catch (error) {
          if (isMailplugError(error) && error.action === 'user') {
            const state: PersistedReauth = {
              status: 'reauthRequired',
              since: now(),
              message: error.message,
              hint: error.hint,
              reason: error.code,
            };
            await store.set(stateKey, state as unknown as StoredValue);
            const reauthError =
              error.code === CoreErrorCode.ReauthRequired
                ? error
                : mailplugError(CoreErrorCode.ReauthRequired, 'user', error.message, error.hint, {
                    cause: error,
                    details: { ...error.details, accountId, reason: error.code },
                  });
            if (!reauthAnnounced) {
              reauthAnnounced = true;
              events.push({ type: 'reauthRequired', accountId, error: reauthError });
            }
            logger?.warn('Mailplug account must sign in again', { accountId, code: error.code });
            throw reauthError;
          }
          throw error;
        }
        // Rotated refresh tokens are always kept; a response without one keeps the old one.
        const merged: TokenSet = next.refreshToken
          ? next
          : {
              ...next,
              ...(current?.refreshToken !== undefined ? { refreshToken: current.refreshToken } : {}),
              ...(next.refreshTokenExpiresAt === undefined && current?.refreshTokenExpiresAt !== undefined
                ? { refreshTokenExpiresAt: current.refreshTokenExpiresAt }
                : {}),
            };
        registerTokenSecrets(merged);
        await store.set(tokensKey, toStoredTokenSet(merged));
        // Seen here (a new refresh token in the set), or reported by a provider whose library keeps it.
        const rotated = reportedRotation || merged.refreshToken !== current?.refreshToken;
        events.push({ type: 'changed', accountId, reason: rotated ? 'rotated' : 'refreshed' });
        logger?.debug('Mailplug access token refreshed', { accountId, rotated, expiresAt: merged.expiresAt });
        return merged;
      });
    } finally {
      for (const event of events) emitter.fire(event);
    }
  }

  function refreshOnce(seen: TokenSet | undefined, forceRefresh: boolean): Promise<TokenSet> {
    const existing = shared.get(accountId);
    if (existing) return existing;
    const promise = runRefresh(seen, forceRefresh).finally(() => {
      if (shared.get(accountId) === promise) shared.delete(accountId);
    });
    shared.set(accountId, promise);
    return promise;
  }

  return {
    onDidChange: emitter.event,

    async getCredential(req) {
      assertUsable();
      await throwIfReauthRequired();
      const tokens = await readTokens();
      if (!tokens && !acquireWhenEmpty) throw signInRequired();
      announceExpiries(tokens);
      const usable =
        tokens && !req.forceRefresh && isFresh(tokens)
          ? tokens
          : await withCallerSignal(refreshOnce(tokens, req.forceRefresh === true), req.signal);
      if (usable !== tokens) announceExpiries(usable);
      return {
        kind: 'oauth2',
        user: usable.user,
        accessToken: usable.accessToken,
        expiresAt: usable.expiresAt,
        scopes: [...usable.scopes],
      };
    },

    async save(tokens) {
      assertUsable();
      const valid = validateRefreshResult(tokens, undefined, accountId);
      registerTokenSecrets(valid);
      await store.withLock(lockKey, async () => {
        await store.set(tokensKey, toStoredTokenSet(valid));
        await store.delete(stateKey);
      });
      reauthAnnounced = false;
      announceExpiries(valid);
    },

    load: readTokens,

    async clear() {
      // Under the refresh lock, so a refresh finishing elsewhere cannot resurrect the tokens.
      await store.withLock(lockKey, async () => {
        await store.delete(tokensKey);
        await store.delete(stateKey);
      });
      reauthAnnounced = false;
    },

    async state() {
      if (await readReauth()) return 'reauthRequired';
      if (acquireWhenEmpty) return 'authorized';
      return (await readTokens()) ? 'authorized' : 'signInRequired';
    },

    dispose() {
      disposed = true;
      lifetime.abort();
      emitter.dispose();
    },
  };
}

function registerTokenSecrets(tokens: TokenSet): void {
  registerSecret(tokens.accessToken);
  registerSecret(tokens.refreshToken);
}
