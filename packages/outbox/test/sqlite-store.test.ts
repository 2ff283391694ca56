import { it } from 'vitest';
import { createSqliteOutboxStore } from '../src/index.js';
import { outboxStoreSuite } from '../src/outbox-store-suite.js';

outboxStoreSuite(it, () => createSqliteOutboxStore({ path: ':memory:' }));
