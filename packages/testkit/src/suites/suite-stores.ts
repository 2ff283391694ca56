/**
 * The stores the auth provider suite hands to every session it creates: a token store it can list,
 * a secret store it can change and read back, and a logger that keeps every line.
 */
import { inspect } from 'node:util';
import {
  createMemoryTokenStore,
  type Logger,
  type SecretStore,
  type StoredValue,
  type TokenStore,
} from '@mailplug/core';

/** A memory TokenStore whose keys the suite can list (the contract has no listing). */
export interface InspectableTokenStore extends TokenStore {
  /** Keys holding a value, optionally only those starting with `prefix`, sorted. */
  keys(prefix?: string): string[];
  /** Every value under `prefix`, for the suite to look for secrets in. */
  entries(prefix?: string): [string, StoredValue][];
}

/**
 * Core's memory TokenStore (values copied in and out, a real per-key lock, `deleteByPrefix` that
 * counts) with a listing of what it holds.
 *
 * @example
 * const store = createInspectableTokenStore();
 * await session.signOut();
 * expect(store.keys(`${accountId}:`)).toEqual([]);
 */
export function createInspectableTokenStore(): InspectableTokenStore {
  const store = createMemoryTokenStore();
  // What the store holds, kept beside it for listing (the TokenStore contract cannot list).
  const held = new Map<string, StoredValue>();
  const matching = (prefix = '') => [...held.keys()].filter((k) => k.startsWith(prefix)).sort();
  return {
    get: (key) => store.get(key),
    async set(key, value) {
      await store.set(key, value);
      held.set(key, structuredClone(value));
    },
    async delete(key) {
      await store.delete(key);
      held.delete(key);
    },
    async deleteByPrefix(prefix) {
      for (const key of matching(prefix)) held.delete(key);
      return store.deleteByPrefix(prefix);
    },
    withLock: (key, fn) => store.withLock(key, fn),
    keys: matching,
    entries: (prefix) => matching(prefix).map((k) => [k, structuredClone(held.get(k) as StoredValue)]),
  };
}

/** A memory SecretStore the suite controls: it can replace values mid-test and see what was read. */
export interface ControlledSecretStore extends SecretStore {
  /** Names the provider asked for, in order (repeats included). */
  readonly reads: readonly string[];
  /** Replace (or add) a secret's value, as an admin rotating it would. */
  put(name: string, value: string): void;
}

export function createControlledSecretStore(
  initial: Readonly<Record<string, string>>,
): ControlledSecretStore {
  const values = new Map(Object.entries(initial));
  const reads: string[] = [];
  return {
    reads,
    async get(name) {
      reads.push(name);
      return values.get(name);
    },
    async set(name, value) {
      values.set(name, value);
    },
    async delete(name) {
      values.delete(name);
    },
    put(name, value) {
      values.set(name, value);
    },
  };
}

export interface CapturedLogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

/** A Logger that keeps every line; `text()` is what a log sink would have written. */
export interface CapturingLogger extends Logger {
  readonly lines: readonly CapturedLogLine[];
  text(): string;
}

export function createCapturingLogger(): CapturingLogger {
  const lines: CapturedLogLine[] = [];
  const at =
    (level: CapturedLogLine['level']) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, message, ...(fields ? { fields } : {}) });
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () =>
      lines
        .map((l) => {
          let json = '';
          try {
            json = JSON.stringify(l.fields) ?? '';
          } catch {
            json = '';
          }
          return `${l.level} ${String(l.message)} ${json} ${l.fields ? inspect(l.fields, { depth: 6 }) : ''}`;
        })
        .join('\n'),
  };
}
