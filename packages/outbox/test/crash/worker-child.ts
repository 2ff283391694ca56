/**
 * A delivery worker in its own process, for the crash tests: it is SIGKILLed at random moments.
 * `node worker-child.mjs <sqlite|redis> <path or url> <prefix> <smtp port> <worker id> <lease ms>`
 * prints `ready` once its worker runs.
 */
import { createOutbox, createRedisOutboxStore, createSqliteOutboxStore } from '../../src/index.js';
import { createTestMailer } from '../mailer-bed.js';
import { crashAccounts } from './crash-run.js';

const [kind, location, prefix, port, workerId, leaseMs] = process.argv.slice(2);
const store =
  kind === 'redis'
    ? createRedisOutboxStore({ url: location, prefix })
    : createSqliteOutboxStore({ path: location ?? '' });
const bed = createTestMailer();
const outbox = createOutbox({
  mailer: bed.mailer,
  store,
  accounts: new Map(crashAccounts(Number(port)).map((a) => [a.id, a])),
  retry: { initialDelayMs: 5, maxDelayMs: 50 },
});
outbox.startWorker({ id: workerId, concurrency: 4, leaseMs: Number(leaseMs), pollMs: 20 });
process.stdout.write('ready\n');
