import { randomBytes } from 'node:crypto';
import { createEncryptedCodec, isMailplugError } from '@mailplug/core';
import { type RedisTestServer, startRedisTestServer } from '@mailplug/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisTokenStore, type RedisTokenStore } from '../src/index.js';

let server: RedisTestServer;
const stores: RedisTokenStore[] = [];
const KEY = randomBytes(32).toString('base64');
const open = (opts: Parameters<typeof createRedisTokenStore>[0] = {}) => {
  const store = createRedisTokenStore({ url: server.url, prefix: `t${stores.length}:`, key: KEY, ...opts });
  stores.push(store);
  return store;
};

beforeAll(async () => {
  server = await startRedisTestServer();
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await server.stop();
});

describe('createRedisTokenStore', () => {
  it('shares values between instances with the same prefix', async () => {
    const a = open({ prefix: 'shared:' });
    const b = open({ prefix: 'shared:' });
    await a.set('acct:tokens', { accessToken: 'x1', expiresAt: 1, scopes: ['s'] });
    await expect(b.get('acct:tokens')).resolves.toEqual({ accessToken: 'x1', expiresAt: 1, scopes: ['s'] });
    await b.delete('acct:tokens');
    await expect(a.get('acct:tokens')).resolves.toBeUndefined();
  });

  it('withLock gives mutual exclusion across instances', async () => {
    const a = open({ prefix: 'lock:' });
    const b = open({ prefix: 'lock:' });
    let inside = 0;
    let maxInside = 0;
    const order: string[] = [];
    const work = (store: RedisTokenStore, name: string) =>
      store.withLock('acct:refresh', async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        order.push(`${name}-start`);
        await new Promise((r) => setTimeout(r, 20));
        order.push(`${name}-end`);
        inside--;
      });
    await Promise.all([work(a, 'a'), work(b, 'b'), work(a, 'a2'), work(b, 'b2')]);
    expect(maxInside).toBe(1);
    for (let i = 0; i < order.length; i += 2) {
      expect(order[i]?.replace('-start', '')).toBe(order[i + 1]?.replace('-end', ''));
    }
  });

  it('a lock abandoned by a dead instance expires after its TTL', async () => {
    const raw = new Redis(server.url);
    // Simulate an instance that took the lock and died without releasing it.
    await raw.set('dead:lock:acct:refresh', 'someone-else', 'PX', 150);
    const store = open({ prefix: 'dead:', lockTtlMs: 1_000, lockTimeoutMs: 5_000 });
    await expect(store.withLock('acct:refresh', async () => 'got it')).resolves.toBe('got it');
    await raw.quit();
  });

  it('a busy lock times out with a retry error', async () => {
    const raw = new Redis(server.url);
    await raw.set('busy:lock:k', 'holder', 'PX', 10_000);
    const store = open({ prefix: 'busy:', lockTimeoutMs: 100 });
    const err = await store.withLock('k', async () => 1).catch((e: unknown) => e);
    expect(isMailplugError(err) && [err.code, err.action]).toEqual(['TOKEN_STORE_LOCK_TIMEOUT', 'retry']);
    await raw.quit();
  });

  it('a value that cannot be decoded is reported, not returned', async () => {
    const raw = new Redis(server.url);
    await raw.set('bad:v:k', '{not json');
    const store = open({ prefix: 'bad:' });
    const err = await store.get('k').catch((e: unknown) => e);
    expect(isMailplugError(err) && err.code).toBe('TOKEN_STORE_UNREADABLE');
    await raw.quit();
  });

  it('seals values by default: the raw Redis value holds no token as text, base64 or hex', async () => {
    const secret = 'rt-plaintext-refresh-value-4711';
    const store = open({ prefix: 'sealed:', key: undefined, env: { MAILPLUG_TOKEN_KEY: KEY } });
    await store.set('k', { accessToken: secret, refreshToken: secret });
    const raw = new Redis(server.url);
    const held = (await raw.getBuffer('sealed:v:k')) ?? Buffer.alloc(0);
    expect(held.length).toBeGreaterThan(secret.length);
    for (const form of [
      secret,
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('hex'),
    ]) {
      expect(held.toString('latin1')).not.toContain(form);
      expect(Buffer.from(held.toString('latin1'), 'base64').toString('latin1')).not.toContain(form);
    }
    await expect(store.get('k')).resolves.toEqual({ accessToken: secret, refreshToken: secret });
    await raw.quit();
  });

  it('a store with a different key cannot read a sealed value and says so', async () => {
    const store = open({ prefix: 'wrongkey:' });
    await store.set('k', { refreshToken: 'rt-value' });
    const other = open({ prefix: 'wrongkey:', key: randomBytes(32).toString('hex') });
    const err = await other.get('k').catch((e: unknown) => e);
    expect(isMailplugError(err) && [err.code, err.action]).toEqual(['TOKEN_STORE_UNREADABLE', 'admin']);
    expect(String(isMailplugError(err) && err.message)).not.toContain('rt-value');
  });

  it('without a key (and no plaintext opt-in) creation fails with TOKEN_STORE_KEY_MISSING', () => {
    let err: unknown;
    try {
      createRedisTokenStore({ url: 'redis://127.0.0.1:1', env: {} });
    } catch (e) {
      err = e;
    }
    expect(isMailplugError(err) && [err.code, err.action]).toEqual(['TOKEN_STORE_KEY_MISSING', 'admin']);
    expect(isMailplugError(err) && err.hint).toContain('MAILPLUG_TOKEN_KEY');
  });

  it('plaintext: true is the explicit opt-in to JSON values', async () => {
    const store = open({ prefix: 'plain:', key: undefined, env: {}, plaintext: true });
    await store.set('k', { refreshToken: 'rt-plain' });
    const raw = new Redis(server.url);
    await expect(raw.get('plain:v:k')).resolves.toBe(JSON.stringify({ refreshToken: 'rt-plain' }));
    await expect(store.get('k')).resolves.toEqual({ refreshToken: 'rt-plain' });
    await raw.quit();
  });

  it('an explicit codec replaces the default one; combining it with plaintext is refused', async () => {
    const codec = createEncryptedCodec({ key: randomBytes(32).toString('base64') });
    const store = open({ prefix: 'codec:', key: undefined, env: {}, codec });
    await store.set('k', { refreshToken: 'rt-codec' });
    await expect(store.get('k')).resolves.toEqual({ refreshToken: 'rt-codec' });
    await expect(open({ prefix: 'codec:' }).get('k')).rejects.toMatchObject({
      code: 'TOKEN_STORE_UNREADABLE',
    });
    expect(() => createRedisTokenStore({ url: 'redis://127.0.0.1:1', codec, plaintext: true })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', action: 'developer' }),
    );
  });

  it('an unreachable Redis is a transient error, never a credential problem', async () => {
    const store = createRedisTokenStore({
      url: 'redis://127.0.0.1:1',
      plaintext: true,
      redisOptions: { maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false },
    });
    const err = await store.get('k').catch((e: unknown) => e);
    expect(isMailplugError(err) && [err.code, err.action]).toEqual(['TRANSIENT', 'retry']);
    await store.close();
  });
});
