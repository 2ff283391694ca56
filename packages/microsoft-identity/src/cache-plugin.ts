/**
 * msal's token cache persisted through the core TokenStore, so the encrypted file store (and Redis
 * later) hold msal's refresh tokens exactly like every other Mailplug token.
 */
import { createHash } from 'node:crypto';
import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import type { TokenStore } from '@mailplug/core';

/** The TokenStore key of an account's serialized msal cache. */
export function msalCacheKey(accountId: string): string {
  return `${accountId}:msal-cache`;
}

export interface TokenStoreCachePlugin extends ICachePlugin {
  readonly key: string;
  /** Forget the persisted msal cache (sign-out). */
  clear(): Promise<void>;
}

/**
 * An msal `ICachePlugin` backed by a TokenStore. Reads before every cache access; writes back only
 * when msal changed something, under `store.withLock(key)` so two processes sharing a store never
 * interleave a read-modify-write.
 *
 * @example
 * const cachePlugin = createTokenStoreCachePlugin({ store: tokenStore, accountId: 'acct-1' });
 * new PublicClientApplication({ auth, cache: { cachePlugin } });
 */
export function createTokenStoreCachePlugin(options: {
  store: TokenStore;
  accountId: string;
}): TokenStoreCachePlugin {
  const { store } = options;
  const key = msalCacheKey(options.accountId);
  return {
    key,
    async beforeCacheAccess(context: TokenCacheContext) {
      const stored = await store.get(key);
      context.tokenCache.deserialize(typeof stored === 'string' && stored ? stored : '{}');
    },
    async afterCacheAccess(context: TokenCacheContext) {
      if (!context.cacheHasChanged) return;
      const serialized = context.tokenCache.serialize();
      await store.withLock(key, () => store.set(key, serialized));
    },
    async clear() {
      await store.withLock(key, () => store.delete(key));
    },
  };
}

/**
 * A fingerprint (SHA-256 prefix, never the secret) of the refresh tokens in a serialized msal
 * cache, so callers can tell when Entra ID rotated the refresh token.
 */
export function refreshTokenFingerprint(
  serializedCache: string | undefined,
  homeAccountId?: string,
): string | undefined {
  if (!serializedCache) return undefined;
  let parsed: { RefreshToken?: Record<string, { secret?: string; home_account_id?: string }> };
  try {
    parsed = JSON.parse(serializedCache);
  } catch {
    return undefined;
  }
  const secrets = Object.values(parsed.RefreshToken ?? {})
    .filter((rt) => !homeAccountId || rt.home_account_id === homeAccountId)
    .map((rt) => rt.secret ?? '')
    .sort();
  if (secrets.length === 0) return undefined;
  return createHash('sha256').update(secrets.join('\n')).digest('hex').slice(0, 16);
}
