import { randomBytes } from 'node:crypto';
import {
  CoreErrorCode,
  createEncryptedCodec,
  mailplugError,
  type StoredValue,
  type StoredValueCodec,
  type TokenStore,
} from '@mailplug/core';
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisTokenStoreOptions {
  /** An existing ioredis client (the store does not close it), or connection options/URL. */
  readonly client?: Redis | undefined;
  readonly url?: string | undefined;
  readonly redisOptions?: RedisOptions | undefined;
  /** Prefix for every key. Default `mailplug:`. */
  readonly prefix?: string | undefined;
  /**
   * 32-byte AES-256-GCM key (base64 or hex text, or raw bytes) that seals every value before it
   * reaches Redis. Default: the `keyFile` option, else the `keyEnv` variable (`MAILPLUG_TOKEN_KEY`).
   */
  readonly key?: string | Uint8Array | undefined;
  /** File holding the key. */
  readonly keyFile?: string | undefined;
  /** Environment variable holding the key. Default `MAILPLUG_TOKEN_KEY`. */
  readonly keyEnv?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  /**
   * Store values as plaintext JSON instead of sealing them. Only for a Redis that is as private
   * as the host's own memory (for example local development); never combine with `codec`.
   */
  readonly plaintext?: boolean | undefined;
  /**
   * Turns values into the string stored in Redis and back, replacing the default sealing codec
   * (core's `createEncryptedCodec` with the key options above).
   */
  readonly codec?: StoredValueCodec | undefined;
  /** How long a holder may keep a lock before Redis expires it (ms). Default 30 s. */
  readonly lockTtlMs?: number | undefined;
  /** How long `withLock` waits for a busy lock (ms). Default 30 s. */
  readonly lockTimeoutMs?: number | undefined;
}

export interface RedisTokenStore extends TokenStore {
  /** Closes the connection if the store opened it. */
  close(): Promise<void>;
}

// Delete the lock only if we still own it (compare-and-delete), so an expired lock that another
// instance has since taken is never released by the old holder.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
// Extend the lock's expiry while the holder is still working.
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

const jsonCodec: StoredValueCodec = {
  encode: (value: StoredValue) => JSON.stringify(value),
  decode: (text: string) => JSON.parse(text) as StoredValue,
};

/**
 * Values are sealed with AES-256-GCM by default; creation fails with TOKEN_STORE_KEY_MISSING
 * (admin) when no key is configured, unless the host opts into `plaintext: true`.
 *
 * @example
 * const tokenStore = createRedisTokenStore({ url: process.env.REDIS_URL }); // MAILPLUG_TOKEN_KEY
 * const mailer = createMailer({ registry, secrets, tokenStore, permissions });
 */
export function createRedisTokenStore(options: RedisTokenStoreOptions = {}): RedisTokenStore {
  // Resolve the codec (and so the key) before connecting, so a missing key leaves no open socket.
  const codec = codecFor(options);
  const owned = !options.client;
  const redis =
    options.client ??
    (options.url
      ? new Redis(options.url, { lazyConnect: false, ...options.redisOptions })
      : new Redis(options.redisOptions ?? {}));
  const prefix = options.prefix ?? 'mailplug:';
  const lockTtlMs = options.lockTtlMs ?? 30_000;
  const lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
  const valueKey = (key: string) => `${prefix}v:${key}`;
  const lockKey = (key: string) => `${prefix}lock:${key}`;

  const unavailable = (err: unknown) =>
    mailplugError(
      CoreErrorCode.Transient,
      'retry',
      'The Redis token store could not be reached.',
      'Check that Redis is running and reachable from every host instance; the operation can be retried.',
      { cause: err },
    );

  async function run<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw unavailable(err);
    }
  }

  return {
    async get(key) {
      const text = await run(() => redis.get(valueKey(key)));
      if (text === null) return undefined;
      try {
        return codec.decode(text);
      } catch (err) {
        throw mailplugError(
          CoreErrorCode.TokenStoreUnreadable,
          'admin',
          `The stored value for "${key}" in Redis cannot be read.`,
          'Check that every instance uses the same codec and key; delete the entry to force a new sign-in.',
          { cause: err },
        );
      }
    },
    async set(key, value) {
      const text = codec.encode(value);
      await run(() => redis.set(valueKey(key), text));
    },
    async delete(key) {
      await run(() => redis.del(valueKey(key)));
    },
    async deleteByPrefix(keyPrefix) {
      // SCAN, not KEYS: never blocks a shared Redis. Glob characters in the prefix are escaped.
      const pattern = `${valueKey(keyPrefix).replace(/[*?[\]\\]/g, '\\$&')}*`;
      let cursor = '0';
      let deleted = 0;
      do {
        const [next, keys] = await run(() => redis.scan(cursor, 'MATCH', pattern, 'COUNT', 200));
        cursor = next;
        if (keys.length > 0) deleted += await run(() => redis.del(...keys));
      } while (cursor !== '0');
      return deleted;
    },
    async withLock(key, fn) {
      const token = randomBytes(16).toString('hex');
      const name = lockKey(key);
      const deadline = Date.now() + lockTimeoutMs;
      let pause = 5;
      for (;;) {
        const ok = await run(() => redis.set(name, token, 'PX', lockTtlMs, 'NX'));
        if (ok === 'OK') break;
        if (Date.now() >= deadline) {
          throw mailplugError(
            CoreErrorCode.TokenStoreLockTimeout,
            'retry',
            `Timed out waiting for the Redis lock on "${key}".`,
            'Another instance is holding the lock (for example a slow token refresh); retry shortly.',
          );
        }
        await new Promise((resolve) => setTimeout(resolve, pause + Math.random() * pause));
        pause = Math.min(pause * 2, 200);
      }
      const heartbeat = setInterval(
        () => {
          redis.eval(EXTEND, 1, name, token, String(lockTtlMs)).catch(() => undefined);
        },
        Math.max(50, Math.floor(lockTtlMs / 3)),
      );
      heartbeat.unref();
      try {
        return await fn();
      } finally {
        clearInterval(heartbeat);
        await redis.eval(RELEASE, 1, name, token).catch(() => undefined);
      }
    },
    async close() {
      if (owned) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

function codecFor(options: RedisTokenStoreOptions): StoredValueCodec {
  if (options.plaintext === true && options.codec) {
    throw mailplugError(
      CoreErrorCode.ConfigInvalid,
      'developer',
      'The Redis token store was given both `plaintext: true` and a `codec`.',
      'Pass either `codec` or `plaintext: true` to createRedisTokenStore, not both.',
    );
  }
  if (options.codec) return options.codec;
  if (options.plaintext === true) return jsonCodec;
  const { key, keyFile, keyEnv, env } = options;
  return createEncryptedCodec({
    ...(key === undefined ? {} : { key }),
    ...(keyFile === undefined ? {} : { keyFile }),
    ...(keyEnv === undefined ? {} : { keyEnv }),
    ...(env === undefined ? {} : { env }),
  });
}
