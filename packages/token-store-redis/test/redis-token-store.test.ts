import { randomBytes } from 'node:crypto';
import { createEncryptedCodec, isMailplugError } from '@mailplug/core';
import { type RedisTestServer, startRedisTestServer } from '@mailplug/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisTokenStore, type RedisTokenStore } from '../src/index.js';

let server: RedisTestServer;
const stores: RedisTokenStore[] = [];
const open = (opts: Parameters<typeof createRedisTokenStore>[0] = {}) => {
  const store = createRedisTokenStore({ url: server.url, prefix: `t${stores.length}:`, ...opts });
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

  it("with core's encrypted codec Redis holds only ciphertext", async () => {
    const codec = createEncryptedCodec({ key: randomBytes(32).toString('base64') });
    const store = open({ prefix: 'codec:', codec });
    await store.set('k', { refreshToken: 'rt-plaintext-value' });
    const raw = new Redis(server.url);
    const held = await raw.get('codec:v:k');
    expect(held).not.toContain('rt-plaintext-value');
    expect(Buffer.from(held ?? '', 'base64').toString('latin1')).not.toContain('rt-plaintext-value');
    await expect(store.get('k')).resolves.toEqual({ refreshToken: 'rt-plaintext-value' });
    // Another instance with a different key cannot read it and says so.
    const wrongKey = open({
      prefix: 'codec:',
      codec: createEncryptedCodec({ key: randomBytes(32).toString('hex') }),
    });
    const err = await wrongKey.get('k').catch((e: unknown) => e);
    expect(isMailplugError(err) && err.code).toBe('TOKEN_STORE_UNREADABLE');
    await raw.quit();
  });

  it('an unreachable Redis is a transient error, never a credential problem', async () => {
    const store = createRedisTokenStore({
      url: 'redis://127.0.0.1:1',
      redisOptions: { maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false },
    });
    const err = await store.get('k').catch((e: unknown) => e);
    expect(isMailplugError(err) && [err.code, err.action]).toEqual(['TRANSIENT', 'retry']);
    await store.close();
  });
});
