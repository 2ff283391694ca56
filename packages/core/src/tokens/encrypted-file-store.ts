import { createHash } from 'node:crypto';
import { mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { StoredValue, TokenStore } from '../spec/v1/stores.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { acquireFileLock, isProcessAlive } from './file-lock.js';
import { createKeyedMutex } from './keyed-mutex.js';
import { openPayload, SealedPayloadError, sealPayload } from './sealed-payload.js';
import { DEFAULT_TOKEN_KEY_ENV, resolveTokenStoreKey } from './store-key.js';

export interface EncryptedFileTokenStoreOptions {
  /** The store file. Its directory is created (mode 0700) when missing. */
  readonly path: string;
  /** 32-byte key as base64/hex text or raw bytes. Takes precedence over `keyFile` and `keyEnv`. */
  readonly key?: string | Uint8Array;
  /** A file containing the key as base64 or hex text. */
  readonly keyFile?: string;
  /** Environment variable holding the key. Default `MAILPLUG_TOKEN_KEY`. */
  readonly keyEnv?: string;
  /** Environment to read `keyEnv` from. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** How long to wait for another process's lock. Default 30 000 ms. */
  readonly lockTimeoutMs?: number;
  /** A lock whose owner has not shown a sign of life for this long is broken. Default 20 000 ms. */
  readonly staleLockMs?: number;
}

/*
 * File format: the sealed envelope of ./sealed-payload.ts around the JSON
 * { "entries": { [key]: StoredValue } }.
 */

type Entries = Record<string, StoredValue>;

interface Snapshot {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly entries: Entries;
}

/**
 * The embedded default {@link TokenStore}: every key in one AES-256-GCM encrypted file (mode 0600),
 * replaced atomically (temp file, fsync, rename, fsync directory) under a cross-process lock, so
 * several processes can share it without losing each other's writes, and a crash at any moment
 * leaves either the previous or the new complete file. `withLock(key)` is a per-key lock file
 * next to the store, so it excludes other processes too.
 *
 * Throws TOKEN_STORE_KEY_MISSING / TOKEN_STORE_KEY_INVALID at creation when the key is absent or
 * malformed; operations throw TOKEN_STORE_UNREADABLE when the file cannot be decrypted (wrong key,
 * tampering) and never overwrite such a file.
 *
 * @example
 * // MAILPLUG_TOKEN_KEY=$(openssl rand -base64 32)
 * const store = createEncryptedFileTokenStore({ path: '/var/lib/myapp/mailplug-tokens.bin' });
 */
export function createEncryptedFileTokenStore(options: EncryptedFileTokenStoreOptions): TokenStore {
  const path = resolve(options.path);
  const directory = dirname(path);
  const fileName = basename(path);
  const keyEnv = options.keyEnv ?? DEFAULT_TOKEN_KEY_ENV;
  const key = resolveTokenStoreKey({
    key: options.key,
    keyFile: options.keyFile,
    keyEnv,
    env: options.env ?? process.env,
    storePath: path,
  });
  const lockOptions = { timeoutMs: options.lockTimeoutMs ?? 30_000, staleMs: options.staleLockMs ?? 20_000 };
  const dataLockPath = `${path}.lock`;
  const mutex = createKeyedMutex();
  const orphanPattern = new RegExp(`^${escapeRegExp(fileName)}\\.(\\d+)-[0-9a-f]+\\.tmp$`);
  let directoryReady: Promise<void> | undefined;
  let orphansSwept = false;
  let cache: Snapshot | undefined;

  const ensureDirectory = () => {
    directoryReady ??= mkdir(directory, { recursive: true, mode: 0o700 }).then(() => undefined);
    return directoryReady;
  };

  const unreadable = (reason: string, cause?: unknown) =>
    mailplugError(
      CoreErrorCode.TokenStoreUnreadable,
      'admin',
      `The token store ${path} cannot be read: ${reason}.`,
      `Configure the key that wrote this file (${keyEnv} or the keyFile option), or move the file aside so accounts sign in again; Mailplug never overwrites it.`,
      { cause, details: { path, keyEnv } },
    );

  const encrypt = (entries: Entries): Buffer => sealPayload(key, JSON.stringify({ entries }));

  function decrypt(data: Buffer): Entries {
    let plaintext: string;
    try {
      plaintext = openPayload(key, data);
    } catch (error) {
      throw unreadable(error instanceof SealedPayloadError ? error.message : 'it cannot be decrypted');
    }
    const parsed = JSON.parse(plaintext) as { entries?: Entries };
    return parsed.entries ?? {};
  }

  async function readEntries(): Promise<Entries> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw unreadable('the file cannot be opened', error);
    }
    try {
      const info = await handle.stat();
      // Every write renames a new file into place, so (inode, size, mtime) identifies a version.
      if (cache && cache.ino === info.ino && cache.size === info.size && cache.mtimeMs === info.mtimeMs) {
        return cache.entries;
      }
      const data = await handle.readFile();
      // An empty file cannot hold tokens (our writes are never partial): treat it as an empty store.
      const entries = data.length === 0 ? {} : decrypt(data);
      cache = { ino: info.ino, size: info.size, mtimeMs: info.mtimeMs, entries };
      return entries;
    } finally {
      await handle.close();
    }
  }

  async function writeEntries(entries: Entries): Promise<void> {
    await writeFileAtomic(path, encrypt(entries));
  }

  /** Temp files of writers that crashed; only ciphertext, but they should not pile up. */
  async function sweepOrphans(): Promise<void> {
    orphansSwept = true;
    for (const name of await readdir(directory)) {
      const match = orphanPattern.exec(name);
      if (!match) continue;
      const pid = Number(match[1]);
      const file = join(directory, name);
      const abandoned =
        (pid !== process.pid && !isProcessAlive(pid)) ||
        Date.now() - (await stat(file).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs > lockOptions.staleMs;
      if (abandoned) await unlink(file).catch(() => undefined);
    }
  }

  /** Read-modify-write under the in-process mutex and the cross-process data lock. */
  async function mutate(change: (entries: Entries) => boolean): Promise<void> {
    await ensureDirectory();
    await mutex('\0data', async () => {
      const release = await acquireFileLock(dataLockPath, lockOptions);
      try {
        if (!orphansSwept) await sweepOrphans();
        const entries = { ...(await readEntries()) };
        if (change(entries)) await writeEntries(entries);
      } finally {
        await release();
      }
    });
  }

  return {
    async get(name) {
      const value = (await readEntries())[name];
      return value === undefined ? undefined : structuredClone(value);
    },
    async set(name, value) {
      const copy = JSON.parse(JSON.stringify(value)) as StoredValue;
      await mutate((entries) => {
        entries[name] = copy;
        return true;
      });
    },
    async delete(name) {
      await mutate((entries) => {
        if (!(name in entries)) return false;
        delete entries[name];
        return true;
      });
    },
    async deleteByPrefix(prefix) {
      let deleted = 0;
      await mutate((entries) => {
        for (const name of Object.keys(entries)) {
          if (!name.startsWith(prefix)) continue;
          delete entries[name];
          deleted += 1;
        }
        return deleted > 0;
      });
      return deleted;
    },
    async withLock(name, fn) {
      await ensureDirectory();
      // Hash the key so account ids never appear in file names.
      const digest = createHash('sha256').update(name).digest('hex').slice(0, 32);
      return mutex(`key:${name}`, async () => {
        const release = await acquireFileLock(`${path}.k-${digest}.lock`, lockOptions);
        try {
          return await fn();
        } finally {
          await release();
        }
      });
    },
  };
}

/** Makes the rename durable. Some platforms cannot fsync a directory; the rename is still atomic. */
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
