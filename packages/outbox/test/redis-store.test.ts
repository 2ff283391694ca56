import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, it } from 'vitest';
import { createRedisOutboxStore } from '../src/index.js';
import { outboxStoreSuite } from '../src/outbox-store-suite.js';
import { startRedisServer } from './redis-server.js';

let redis: Awaited<ReturnType<typeof startRedisServer>>;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.stop());

// A fresh prefix per test is a fresh, empty store on the same server.
outboxStoreSuite(it, () => createRedisOutboxStore({ url: redis.url, prefix: `t:${randomUUID()}:` }));
