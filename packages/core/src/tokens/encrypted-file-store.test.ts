import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStoreChild, runStoreChild } from '../../test/tokens/build-store-child.js';
import { isMailplugError, type MailplugError } from '../spec/v1/mailplug-error.js';
import { createEncryptedFileTokenStore } from './encrypted-file-store.js';

let work: string;
let bundle: string;
let counter = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mailplug-filestore-'));
  bundle = await buildStoreChild(work);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A fresh directory (created by the store itself) per test. */
function freshPath(): string {
  counter++;
  return join(work, `case-${counter}`, 'tokens.bin');
}

const newKey = () => randomBytes(32).toString('base64');

async function caught(promise: Promise<unknown> | (() => unknown)): Promise<MailplugError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    if (isMailplugError(error)) return error;
    throw error;
  }
  throw new Error('expected a MailplugError');
}

describe('createEncryptedFileTokenStore', () => {
  it('round-trips values across store instances and deletes keys', async () => {
    const path = freshPath();
    const key = newKey();
    const a = createEncryptedFileTokenStore({ path, key });
    await a.set('acme:tokens', { accessToken: 'x', scopes: ['a'], n: 1, ok: true, none: null });
    await a.set('other', 'value');
    const b = createEncryptedFileTokenStore({ path, key });
    expect(await b.get('acme:tokens')).toEqual({
      accessToken: 'x',
      scopes: ['a'],
      n: 1,
      ok: true,
      none: null,
    });
    await b.delete('other');
    expect(await a.get('other')).toBeUndefined();
    expect(await a.get('missing')).toBeUndefined();
  });

  it('creates the file with mode 0600 and the directory with 0700', async () => {
    const path = freshPath();
    const store = createEncryptedFileTokenStore({ path, key: newKey() });
    await store.set('k', 'v');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(path, '..'))).mode & 0o777).toBe(0o700);
  });

  it('never writes a token in plaintext — not in the store file, temp files, or lock files', async () => {
    const path = freshPath();
    const store = createEncryptedFileTokenStore({ path, key: newKey() });
    const accessToken = `ya29.plain-access-${randomBytes(12).toString('hex')}`;
    const refreshToken = `1//plain-refresh-${randomBytes(12).toString('hex')}`;
    const needles = [accessToken, refreshToken].flatMap((t) => [
      Buffer.from(t),
      Buffer.from(Buffer.from(t).toString('base64')),
      Buffer.from(Buffer.from(t).toString('hex')),
    ]);
    await store.set('acct-0:tokens', { accessToken, refreshToken, i: -1 }); // creates the directory
    let writing = true;
    let filesScanned = 0;
    let tempFilesSeen = 0;
    const scanOnce = async () => {
      const dir = join(path, '..');
      for (const name of await readdir(dir)) {
        const bytes = await readFile(join(dir, name)).catch(() => undefined);
        if (!bytes) continue; // renamed away between readdir and read
        filesScanned++;
        if (name.endsWith('.tmp')) tempFilesSeen++;
        for (const needle of needles) expect(bytes.includes(needle), `${name} leaks a token`).toBe(false);
      }
    };
    const writer = (async () => {
      for (let i = 0; i < 150; i++) {
        await store.set(`acct-${i % 3}:tokens`, { accessToken, refreshToken, i });
      }
      writing = false;
    })();
    while (writing) await scanOnce();
    await writer;
    await scanOnce();
    expect(filesScanned).toBeGreaterThan(10);
    // The scanner ran between the writer's steps, so it read in-flight temp files too.
    expect(tempFilesSeen).toBeGreaterThan(0);
    expect(await store.get('acct-1:tokens')).toMatchObject({ accessToken, refreshToken });
  });

  it('a wrong key gives TOKEN_STORE_UNREADABLE and the file is never overwritten', async () => {
    const path = freshPath();
    await createEncryptedFileTokenStore({ path, key: newKey() }).set('acme:tokens', 'secret-ish');
    const before = await readFile(path);
    const wrong = createEncryptedFileTokenStore({ path, key: newKey() });
    const error = await caught(wrong.get('acme:tokens'));
    expect(error.code).toBe('TOKEN_STORE_UNREADABLE');
    expect(error.action).toBe('admin');
    expect(error.hint).toMatch(/MAILPLUG_TOKEN_KEY/);
    expect(error.hint).toMatch(/never overwrites/);
    expect((await caught(wrong.set('new', 'value'))).code).toBe('TOKEN_STORE_UNREADABLE');
    expect((await caught(wrong.delete('acme:tokens'))).code).toBe('TOKEN_STORE_UNREADABLE');
    expect((await readFile(path)).equals(before)).toBe(true);
  });

  it('detects tampering (ciphertext, header version, truncation) as TOKEN_STORE_UNREADABLE', async () => {
    const path = freshPath();
    const key = newKey();
    await createEncryptedFileTokenStore({ path, key }).set('k', 'value');
    const original = await readFile(path);
    const variants = [
      Buffer.from(original).fill((original.at(-1) ?? 0) ^ 1, original.length - 1),
      Buffer.concat([original.subarray(0, 4), Buffer.from([2]), original.subarray(5)]),
      original.subarray(0, 20),
      Buffer.from('{"entries":{"k":"value"}}'),
    ];
    for (const bytes of variants) {
      await writeFile(path, bytes);
      const error = await caught(createEncryptedFileTokenStore({ path, key }).get('k'));
      expect(error.code).toBe('TOKEN_STORE_UNREADABLE');
    }
  });

  it('explains a missing key: names the env var, the keyFile option and how to generate one', async () => {
    const error = await caught(() => createEncryptedFileTokenStore({ path: freshPath(), env: {} }));
    expect(error.code).toBe('TOKEN_STORE_KEY_MISSING');
    expect(error.action).toBe('admin');
    expect(error.hint).toContain('MAILPLUG_TOKEN_KEY');
    expect(error.hint).toContain('keyFile');
    expect(error.hint).toContain('openssl rand -base64 32');
    const custom = await caught(() =>
      createEncryptedFileTokenStore({ path: freshPath(), keyEnv: 'APP_KEY', env: {} }),
    );
    expect(custom.hint).toContain('APP_KEY');
    const noFile = await caught(() =>
      createEncryptedFileTokenStore({ path: freshPath(), keyFile: join(work, 'does-not-exist.key') }),
    );
    expect(noFile.code).toBe('TOKEN_STORE_KEY_MISSING');
    expect(noFile.hint).toContain('openssl rand -base64 32');
  });

  it('rejects a malformed key without echoing it', async () => {
    const bad = 'c2hvcnQta2V5LW5vdC0zMi1ieXRlcw==';
    for (const source of [{ key: bad }, { env: { MAILPLUG_TOKEN_KEY: bad } }, { key: 'zz'.repeat(32) }]) {
      const error = await caught(() => createEncryptedFileTokenStore({ path: freshPath(), ...source }));
      expect(error.code).toBe('TOKEN_STORE_KEY_INVALID');
      expect(error.hint).toContain('openssl rand -base64 32');
      expect(JSON.stringify(error)).not.toContain(bad);
      expect(error.message).not.toContain(bad);
    }
  });

  it('accepts base64, base64url and hex keys from the option, a key file and the environment', async () => {
    const raw = randomBytes(32);
    const path = freshPath();
    await createEncryptedFileTokenStore({ path, key: raw.toString('hex') }).set('k', 1);
    expect(await createEncryptedFileTokenStore({ path, key: raw.toString('base64') }).get('k')).toBe(1);
    expect(await createEncryptedFileTokenStore({ path, key: raw.toString('base64url') }).get('k')).toBe(1);
    const keyFile = join(work, `key-${counter}.txt`);
    await writeFile(keyFile, `${raw.toString('base64')}\n`, { mode: 0o600 });
    expect(await createEncryptedFileTokenStore({ path, keyFile }).get('k')).toBe(1);
    const env = { MAILPLUG_TOKEN_KEY: raw.toString('base64') };
    expect(await createEncryptedFileTokenStore({ path, env }).get('k')).toBe(1);
  });

  it('breaks a lock left by a dead process', async () => {
    const path = freshPath();
    const store = createEncryptedFileTokenStore({ path, key: newKey(), lockTimeoutMs: 2_000 });
    await store.set('seed', 1);
    const dead = spawnSync(process.execPath, ['-e', '']).pid ?? 0;
    const owner = { pid: dead, host: hostname(), createdAt: Date.now(), nonce: 'dead' };
    await writeFile(`${path}.lock`, JSON.stringify(owner));
    await store.set('after', 2);
    expect(await store.get('after')).toBe(2);
  });

  it('breaks a lock whose heartbeat is older than staleLockMs (owner on another host)', async () => {
    const path = freshPath();
    const store = createEncryptedFileTokenStore({
      path,
      key: newKey(),
      lockTimeoutMs: 2_000,
      staleLockMs: 1_000,
    });
    await store.set('seed', 1);
    const owner = { pid: 1, host: 'some-other-host', createdAt: 0, nonce: 'old' };
    await writeFile(`${path}.lock`, JSON.stringify(owner));
    const past = new Date(Date.now() - 60_000);
    await utimes(`${path}.lock`, past, past);
    await store.set('after', 2);
    expect(await store.get('after')).toBe(2);
  });

  it('gives up waiting for a live lock with TOKEN_STORE_LOCK_TIMEOUT (retry)', async () => {
    const path = freshPath();
    const store = createEncryptedFileTokenStore({ path, key: newKey(), lockTimeoutMs: 150 });
    await store.set('seed', 1);
    const owner = { pid: process.pid, host: hostname(), createdAt: Date.now(), nonce: 'live' };
    await writeFile(`${path}.lock`, JSON.stringify(owner));
    const error = await caught(store.set('blocked', 1));
    expect(error.code).toBe('TOKEN_STORE_LOCK_TIMEOUT');
    expect(error.action).toBe('retry');
    expect(error.details).toMatchObject({ ownerPid: process.pid });
    await rm(`${path}.lock`);
    await store.set('blocked', 1);
    expect(await store.get('blocked')).toBe(1);
  });

  it('withLock excludes a second store instance on the same file (the cross-process path)', async () => {
    const path = freshPath();
    const key = newKey();
    const a = createEncryptedFileTokenStore({ path, key });
    const b = createEncryptedFileTokenStore({ path, key });
    const log: string[] = [];
    const hold = (store: typeof a, name: string) =>
      store.withLock('acme:refresh', async () => {
        log.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, 30));
        log.push(`${name} out`);
      });
    await Promise.all([hold(a, 'a'), hold(b, 'b')]);
    expect(['a in,a out,b in,b out', 'b in,b out,a in,a out']).toContain(log.join(','));
    const lockFiles = (await readdir(join(path, '..'))).filter((n) => n.endsWith('.lock'));
    expect(lockFiles).toEqual([]);
    // The per-key lock file name does not reveal the account id.
    expect((await readdir(join(path, '..'))).join(' ')).not.toContain('acme');
  });

  it('two processes writing concurrently never lose each other’s keys', async () => {
    const path = freshPath();
    const key = newKey();
    const [one, two] = await Promise.all([
      runStoreChild(bundle, ['writer', path, key, 'one', '60']),
      runStoreChild(bundle, ['writer', path, key, 'two', '60']),
    ]);
    expect([one.code, one.stderr, two.code, two.stderr]).toEqual([0, '', 0, '']);
    const store = createEncryptedFileTokenStore({ path, key });
    for (let i = 0; i < 60; i++) {
      expect(await store.get(`one:${i}`)).toBe(i);
      expect(await store.get(`two:${i}`)).toBe(i);
    }
  });

  it('withLock gives mutual exclusion across processes (no lost read-modify-write increments)', async () => {
    const path = freshPath();
    const key = newKey();
    const results = await Promise.all([
      runStoreChild(bundle, ['locked-increment', path, key, '40']),
      runStoreChild(bundle, ['locked-increment', path, key, '40']),
    ]);
    for (const r of results) expect([r.code, r.stderr]).toEqual([0, '']);
    expect(await createEncryptedFileTokenStore({ path, key }).get('counter')).toBe(80);
  });
});
