/**
 * The stores the auth provider suite hands to every session it creates: a token store it can list,
 * a secret store it can change and read back, and a logger that keeps every line.
 */
import { inspect } from 'node:util';
import type { Logger, SecretStore, StoredValue, TokenStore } from '@mailplug/core';

/** A memory TokenStore whose keys the suite can list (the contract has no listing). */
export interface InspectableTokenStore extends TokenStore {
  /** Keys holding a value, optionally only those starting with `prefix`, sorted. */
  keys(prefix?: string): string[];
  /** Every value under `prefix`, for the suite to look for secrets in. */
  entries(prefix?: string): [string, StoredValue][];
}

/**
 * A TokenStore held in memory that can be listed: values are copied in and out, `withLock` is a
 * real per-key queue (one holder at a time), `deleteByPrefix` counts what it deleted.
 *
 * @example
 * const store = createInspectableTokenStore();
 * await session.signOut();
 * expect(store.keys(`${accountId}:`)).toEqual([]);
 */
export function createInspectableTokenStore(): InspectableTokenStore {
  const values = new Map<string, StoredValue>();
  const tails = new Map<string, Promise<void>>();
  const matching = (prefix = '') => [...values.keys()].filter((k) => k.startsWith(prefix)).sort();
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
      const doomed = matching(prefix);
      for (const key of doomed) values.delete(key);
      return doomed.length;
    },
    async withLock(key, fn) {
      const previous = tails.get(key) ?? Promise.resolve();
      let release = () => {};
      const mine = new Promise<void>((resolve) => {
        release = resolve;
      });
      const tail = previous.then(() => mine);
      tails.set(key, tail);
      await previous;
      try {
        return await fn();
      } finally {
        release();
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
    keys: matching,
    entries: (prefix) => matching(prefix).map((k) => [k, structuredClone(values.get(k) as StoredValue)]),
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
