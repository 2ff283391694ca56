import { randomBytes } from 'node:crypto';
import type { StoredValue, TokenStore } from '@mailplug/core';
import {
  type Check,
  ConformanceError,
  ensure,
  registerChecks,
  type SuiteHooks,
  succeeds,
  type TestFunction,
} from './suites/conformance.js';

export interface TokenStoreSuiteOptions<S extends TokenStore = TokenStore> extends SuiteHooks {
  /** Called with each store the factory made, after its check (close connections, remove files). */
  dispose?(store: S): void | Promise<void>;
}

/** What a check gets: a fresh store and a key prefix no other check uses (stores may share a backend). */
export interface TokenStoreHarness {
  readonly store: TokenStore;
  readonly prefix: string;
}

export type TokenStoreCheck = Check<TokenStoreHarness>;

/** Yields to the event loop `n` times: long enough for anything that does not wait on a lock. */
async function turns(store: TokenStore, prefix: string, n = 20): Promise<void> {
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    // A round trip to the store's backend, so a networked store's lock attempt gets answered too.
    await store.get(`${prefix}turn`);
  }
}

const SAMPLES: [string, StoredValue][] = [
  ['string', 'ya29.a-token/with+chars=='],
  ['number', 1_767_225_600_000],
  ['boolean', false],
  ['null', null],
  [
    'nested',
    { accessToken: 'at', scopes: ['smtp', 'imap'], extra: { nested: [1, { deep: true }] }, note: 'Grüße ✓' },
  ],
  ['array', ['a', 2, null, { b: [] }]],
];

const roundTrip: TokenStoreCheck = {
  id: 'roundTrip',
  name: 'get returns undefined for a missing key and what was set for every JSON value, as a copy',
  async run({ store, prefix }) {
    ensure(
      (await store.get(`${prefix}missing`)) === undefined,
      'get of a key never set must return undefined.',
    );
    for (const [kind, value] of SAMPLES) {
      await store.set(`${prefix}${kind}`, value);
      const read = await store.get(`${prefix}${kind}`);
      ensure(
        JSON.stringify(read) === JSON.stringify(value),
        `a ${kind} value came back as ${JSON.stringify(read)}.`,
      );
    }
    const mine = { accessToken: 'before', scopes: ['smtp'] };
    await store.set(`${prefix}copy`, mine);
    mine.accessToken = 'after';
    const read = (await store.get(`${prefix}copy`)) as { accessToken: string; scopes: string[] };
    ensure(read.accessToken === 'before', 'changing an object after set() changed what the store holds.');
    read.scopes.push('imap');
    const again = (await store.get(`${prefix}copy`)) as { scopes: string[] };
    ensure(again.scopes.length === 1, 'changing a value returned by get() changed what the store holds.');
    await store.set(`${prefix}copy`, 'overwritten');
    ensure((await store.get(`${prefix}copy`)) === 'overwritten', 'set() must overwrite an existing value.');
  },
};

const deletes: TokenStoreCheck = {
  id: 'delete',
  name: 'delete removes one key, and deleting a missing key is harmless',
  async run({ store, prefix }) {
    await store.set(`${prefix}a`, 'a');
    await store.set(`${prefix}b`, 'b');
    await store.delete(`${prefix}a`);
    ensure((await store.get(`${prefix}a`)) === undefined, 'a deleted key still has a value.');
    ensure((await store.get(`${prefix}b`)) === 'b', 'delete removed another key.');
    await succeeds(() => store.delete(`${prefix}never-set`), 'delete of a key never set');
  },
};

const deleteByPrefix: TokenStoreCheck = {
  id: 'deleteByPrefix',
  name: 'deleteByPrefix deletes exactly the keys with that prefix and counts them',
  async run({ store, prefix }) {
    const doomed = [`${prefix}acct-1:tokens`, `${prefix}acct-1:state`, `${prefix}acct-1:msal:cache`];
    const kept = [`${prefix}acct-10:tokens`, `${prefix}acct-1`, `${prefix}other:acct-1:tokens`];
    for (const key of [...doomed, ...kept]) await store.set(key, key);
    const count = await store.deleteByPrefix(`${prefix}acct-1:`);
    for (const key of doomed) ensure((await store.get(key)) === undefined, `deleteByPrefix left "${key}".`);
    for (const key of kept)
      ensure(
        (await store.get(key)) === key,
        `deleteByPrefix deleted "${key}", which does not start with the prefix.`,
      );
    ensure(
      count === doomed.length,
      `deleteByPrefix must return how many keys it deleted (${doomed.length}), returned ${count}.`,
    );
    ensure(
      (await store.deleteByPrefix(`${prefix}nobody:`)) === 0,
      'deleteByPrefix with no matching key must return 0.',
    );
  },
};

const lockResult: TokenStoreCheck = {
  id: 'lockResult',
  name: "withLock returns fn's result, passes on its rejection and releases the lock either way",
  async run({ store, prefix }) {
    const key = `${prefix}lock`;
    ensure((await store.withLock(key, async () => 42)) === 42, "withLock must resolve with fn's result.");
    const failure = new Error('refresh failed');
    const seen = await store
      .withLock(key, async () => Promise.reject(failure))
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    ensure(seen === failure, "withLock must reject with fn's own error.");
    // Bounded by turns of the event loop and round trips to the store, not by a timer.
    let after: unknown;
    const next = store
      .withLock(key, async () => 'after')
      .then((value) => {
        after = value;
      });
    await Promise.race([next, turns(store, prefix, 50)]);
    ensure(
      after === 'after',
      'the lock is still held after fn rejected: a second withLock on the key never ran.',
    );
  },
};

const lockExcludes: TokenStoreCheck = {
  id: 'lockExcludes',
  name: 'withLock excludes: two holders of one key never overlap, and no read-modify-write is lost',
  async run({ store, prefix }) {
    const key = `${prefix}lock`;
    const events: string[] = [];
    let releaseFirst = () => {};
    const firstMayLeave = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    let firstEntered = () => {};
    const entered = new Promise<void>((resolve) => {
      firstEntered = resolve;
    });
    const first = store.withLock(key, async () => {
      events.push('first in');
      firstEntered();
      await firstMayLeave;
      events.push('first out');
    });
    await entered;
    const second = store.withLock(key, async () => {
      events.push('second in');
    });
    await turns(store, prefix);
    releaseFirst();
    await Promise.all([first, second]);
    ensure(
      events.join(', ') === 'first in, first out, second in',
      `a second withLock on the same key ran while the first held it: ${events.join(', ')}.`,
    );

    const counter = `${prefix}counter`;
    await store.set(counter, 0);
    await Promise.all(
      Array.from({ length: 5 }, () =>
        store.withLock(key, async () => {
          const value = (await store.get(counter)) as number;
          await new Promise<void>((resolve) => setImmediate(resolve));
          await store.set(counter, value + 1);
        }),
      ),
    );
    const total = await store.get(counter);
    ensure(
      total === 5,
      `five read-modify-writes under withLock left the counter at ${String(total)}, not 5: updates were lost.`,
    );
  },
};

/** Every check, in registration order. */
export const tokenStoreChecks: readonly TokenStoreCheck[] = [
  roundTrip,
  deletes,
  deleteByPrefix,
  lockResult,
  lockExcludes,
];

async function runCheck<S extends TokenStore>(
  check: TokenStoreCheck,
  factory: () => S | Promise<S>,
  options: TokenStoreSuiteOptions<S>,
) {
  await options.setup?.();
  try {
    const store = await factory();
    try {
      await check.run({ store, prefix: `conformance-${randomBytes(6).toString('hex')}:` });
    } finally {
      await options.dispose?.(store);
    }
  } finally {
    await options.teardown?.();
  }
}

/** Runs one check outside any runner; rejects with a `ConformanceError` naming the broken rule. */
export async function runTokenStoreCheck<S extends TokenStore>(
  id: string,
  factory: () => S | Promise<S>,
  options: TokenStoreSuiteOptions<S> = {},
): Promise<void> {
  const check = tokenStoreChecks.find((c) => c.id === id);
  if (!check) throw new ConformanceError(`"${id}" is not a token store check.`);
  await runCheck(check, factory, options);
}

/**
 * The conformance suite every TokenStore passes: values round-trip as copies, delete and
 * deleteByPrefix remove exactly what they should, and withLock really excludes (a second holder
 * waits; concurrent read-modify-writes lose nothing). Each check uses its own key prefix, so
 * stores may share a backend.
 *
 * @example
 * tokenStoreSuite(it, () => createRedisTokenStore({ url }), { dispose: (s) => s.close() });
 */
export function tokenStoreSuite<S extends TokenStore>(
  it: TestFunction,
  factory: () => S | Promise<S>,
  options: TokenStoreSuiteOptions<S> = {},
): void {
  registerChecks(it, 'token store conformance', tokenStoreChecks, undefined, (check) =>
    runCheck(check, factory, options),
  );
}
