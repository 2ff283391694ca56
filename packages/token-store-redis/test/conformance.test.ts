import { type RedisTestServer, startRedisTestServer, tokenStoreSuite } from '@mailplug/testkit';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createRedisTokenStore } from '../src/index.js';

describe('@mailplug/token-store-redis against a real redis-server', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await startRedisTestServer();
  });
  afterAll(() => redis.stop());
  tokenStoreSuite(it, () => createRedisTokenStore({ url: redis.url, lockTimeoutMs: 10_000 }), {
    dispose: (store) => store.close(),
  });
});
