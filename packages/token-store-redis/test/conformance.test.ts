import { randomBytes } from 'node:crypto';
import { type RedisTestServer, startRedisTestServer, tokenStoreSuite } from '@mailplug/testkit';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createRedisTokenStore } from '../src/index.js';

const KEY = randomBytes(32).toString('base64');

describe('@mailplug/token-store-redis against a real redis-server', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await startRedisTestServer();
  });
  afterAll(() => redis.stop());
  tokenStoreSuite(it, () => createRedisTokenStore({ url: redis.url, lockTimeoutMs: 10_000, key: KEY }), {
    dispose: (store) => store.close(),
  });
});
