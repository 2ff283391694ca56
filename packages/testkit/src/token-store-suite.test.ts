import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  createEncryptedFileTokenStore,
  createMemoryTokenStore,
  type StoredValue,
  type TokenStore,
} from '@mailplug/core';
import { afterAll, describe, it } from 'vitest';
import { failsWith } from './suites/expect-conformance.js';
import { createInspectableTokenStore } from './suites/suite-stores.js';
import { temporaryDirectories } from './test-helpers.js';
import { runTokenStoreCheck, tokenStoreSuite } from './token-store-suite.js';

describe("core's memory store", () => {
  tokenStoreSuite(it, () => createMemoryTokenStore());
});

describe("core's encrypted file store, in a temporary directory", () => {
  const tempDir = temporaryDirectories(afterAll, 'mailplug-store-suite-');
  const key = randomBytes(32);
  tokenStoreSuite(it, async () =>
    createEncryptedFileTokenStore({ path: join(await tempDir(), 'tokens.enc'), key }),
  );
});

describe("the suite's own inspectable store", () => {
  tokenStoreSuite(it, () => createInspectableTokenStore());
});

/** A store that keeps values by reference, miscounts deletions, or whose lock does not lock. */
function brokenStore(
  breakage: 'noLock' | 'keepsLock' | 'aliases' | 'miscounts' | 'prefixTooWide',
): TokenStore {
  const values = new Map<string, StoredValue>();
  const honest = createMemoryTokenStore();
  return {
    get: async (key) => (breakage === 'aliases' ? values.get(key) : honest.get(key)),
    set: async (key, value) => {
      values.set(key, value);
      await honest.set(key, value);
    },
    delete: (key) => honest.delete(key),
    async deleteByPrefix(prefix) {
      if (breakage === 'prefixTooWide') return honest.deleteByPrefix(prefix.replace(/:$/, ''));
      const count = await honest.deleteByPrefix(prefix);
      return breakage === 'miscounts' ? 0 : count;
    },
    withLock(key, fn) {
      if (breakage === 'noLock') return fn();
      if (breakage !== 'keepsLock') return honest.withLock(key, fn);
      // Releases only when fn succeeds: a rejection leaves the key locked for good.
      return honest.withLock(key, () =>
        fn().catch((error: unknown) => {
          void honest.withLock(key, () => new Promise(() => {}));
          throw error;
        }),
      );
    },
  };
}

describe('the token store checks fail on broken stores', () => {
  it('a lock that does not lock', async () => {
    await failsWith(
      runTokenStoreCheck('lockExcludes', () => brokenStore('noLock')),
      /a second withLock on the same key ran while the first held it: first in, second in, first out/,
    );
  });

  it('a lock left held after fn rejected', async () => {
    await failsWith(
      runTokenStoreCheck('lockResult', () => brokenStore('keepsLock')),
      /the lock is still held after fn rejected/,
    );
  });

  it('values kept by reference', async () => {
    await failsWith(
      runTokenStoreCheck('roundTrip', () => brokenStore('aliases')),
      /changing an object after set\(\) changed/,
    );
  });

  it('deleteByPrefix that miscounts or deletes beyond its prefix', async () => {
    await failsWith(
      runTokenStoreCheck('deleteByPrefix', () => brokenStore('miscounts')),
      /must return how many keys it deleted \(3\), returned 0/,
    );
    await failsWith(
      runTokenStoreCheck('deleteByPrefix', () => brokenStore('prefixTooWide')),
      /deleteByPrefix deleted ".*acct-10:tokens", which does not start with the prefix/,
    );
  });
});
