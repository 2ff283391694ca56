import type { StoredValue, TokenStore } from '../spec/v1/stores.js';
import { createKeyedMutex } from './keyed-mutex.js';

/**
 * A {@link TokenStore} held in this process's memory: for tests, single-process tools and hosts
 * that accept signing in again after a restart. `withLock` is an in-process async mutex per key.
 * Values are copied on the way in and out, so callers cannot mutate stored state by accident.
 *
 * @example
 * const store = createMemoryTokenStore();
 * const tokens = createTokenManager({ accountId: 'acme', store, refresh });
 */
export function createMemoryTokenStore(): TokenStore {
  const values = new Map<string, StoredValue>();
  const mutex = createKeyedMutex();
  return {
    async get(key) {
      const value = values.get(key);
      return value === undefined ? undefined : structuredClone(value);
    },
    async set(key, value) {
      values.set(key, structuredClone(value));
    },
    async delete(key) {
      values.delete(key);
    },
    async deleteByPrefix(prefix) {
      let deleted = 0;
      for (const key of [...values.keys()]) {
        if (key.startsWith(prefix) && values.delete(key)) deleted += 1;
      }
      return deleted;
    },
    withLock(key, fn) {
      return mutex(key, fn);
    },
  };
}
