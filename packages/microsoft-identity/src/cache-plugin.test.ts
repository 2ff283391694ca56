import { TokenCacheContext } from '@azure/msal-node';
import { createMemoryTokenStore } from '@mailplug/core';
import { describe, expect, it } from 'vitest';
import { createTokenStoreCachePlugin, msalCacheKey, refreshTokenFingerprint } from './cache-plugin.js';

function fakeCache(initial = '{}') {
  let data = initial;
  return {
    serialize: () => data,
    deserialize: (s: string) => {
      data = s;
    },
    get data() {
      return data;
    },
  };
}

describe('TokenStore cache plugin', () => {
  it('loads before access and writes back only when msal changed the cache', async () => {
    const store = createMemoryTokenStore();
    await store.set(msalCacheKey('a1'), '{"Account":{}}');
    const plugin = createTokenStoreCachePlugin({ store, accountId: 'a1' });
    const cache = fakeCache();
    await plugin.beforeCacheAccess(new TokenCacheContext(cache, false));
    expect(cache.data).toBe('{"Account":{}}');
    cache.deserialize('{"changed":true}');
    await plugin.afterCacheAccess(new TokenCacheContext(cache, false));
    expect(await store.get('a1:msal-cache')).toBe('{"Account":{}}');
    await plugin.afterCacheAccess(new TokenCacheContext(cache, true));
    expect(await store.get('a1:msal-cache')).toBe('{"changed":true}');
    await plugin.clear();
    expect(await store.get('a1:msal-cache')).toBeUndefined();
  });

  it('fingerprints refresh tokens without revealing them', () => {
    const a = JSON.stringify({ RefreshToken: { k: { secret: 'rt-one', home_account_id: 'h1' } } });
    const b = JSON.stringify({ RefreshToken: { k: { secret: 'rt-two', home_account_id: 'h1' } } });
    const fa = refreshTokenFingerprint(a, 'h1');
    expect(fa).toMatch(/^[0-9a-f]{16}$/);
    expect(fa).not.toContain('rt-one');
    expect(refreshTokenFingerprint(b, 'h1')).not.toBe(fa);
    expect(refreshTokenFingerprint(a, 'other')).toBeUndefined();
  });
});
