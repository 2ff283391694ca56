import { randomBytes } from 'node:crypto';
/**
 * Two host instances share one Redis: each has its own store client and its own TokenManager for
 * the same account, so the only thing keeping them from refreshing twice is the Redis lock.
 */
import { createTokenManager, type TokenSet } from '@mailplug/core';
import { type RedisTestServer, startRedisTestServer } from '@mailplug/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createRedisTokenStore, type RedisTokenStore } from '../src/index.js';

const KEY = randomBytes(32).toString('base64');

let server: RedisTestServer;
const stores: RedisTokenStore[] = [];

beforeAll(async () => {
  server = await startRedisTestServer();
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await server.stop();
});

it('instances sharing Redis refresh an expired token once and all use the rotated refresh token', async () => {
  const instance = () => {
    const store = createRedisTokenStore({ url: server.url, prefix: 'fleet:', key: KEY });
    stores.push(store);
    return store;
  };
  const instances = [instance(), instance(), instance()] as const;
  let refreshCalls = 0;
  const refreshTokensSeen: string[] = [];
  const refresh = async (current: TokenSet | undefined): Promise<TokenSet> => {
    refreshCalls++;
    refreshTokensSeen.push(current?.refreshToken ?? 'none');
    await new Promise((r) => setTimeout(r, 30));
    return {
      accessToken: `at-${refreshCalls}-abcdefgh`,
      expiresAt: Date.now() + 3_600_000,
      refreshToken: `rt-${refreshCalls}-rotated`,
      scopes: ['https://mail.google.com/'],
      user: 'alice@contoso.test',
    };
  };
  const seed = createTokenManager({ accountId: 'acct', store: instances[0], refresh });
  await seed.save({
    accessToken: 'at-0-expired',
    expiresAt: Date.now() - 1_000,
    refreshToken: 'rt-0-original',
    scopes: ['https://mail.google.com/'],
    user: 'alice@contoso.test',
  });
  const managers = instances.map((store) => createTokenManager({ accountId: 'acct', store, refresh }));
  const credentials = await Promise.all(
    Array.from({ length: 20 }, () => managers.map((m) => m.getCredential({ protocol: 'smtp' }))).flat(),
  );
  expect(refreshCalls).toBe(1);
  expect(refreshTokensSeen).toEqual(['rt-0-original']);
  expect(new Set(credentials.map((c) => c.accessToken))).toEqual(new Set(['at-1-abcdefgh']));
  const reader = createTokenManager({ accountId: 'acct', store: instances[2], refresh });
  expect((await reader.load())?.refreshToken).toBe('rt-1-rotated');
  for (const m of [seed, ...managers, reader]) await m.dispose();
});
