/**
 * `pnpm --filter @mailplug/bench bench:outbox [-- --quick] [-- --only throughput|soak]`
 *
 * Figure `outbox`: enqueue → delivered throughput through @mailplug/outbox (SQLite, one worker)
 * against direct `mailer.send` on the same mailer, account and SMTP server, both sides in one run
 * (rounds alternate the order; medians), plus enqueue latency p50 / p99. Then the fault soak
 * (outbox-soak.ts), which rewrites /RELIABILITY.md. Loopback only, bounded counts; nothing asserts
 * on wall-clock time. Results: results/outbox.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os, { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { basicAuth } from '@mailplug/auth-basic';
import {
  createMailer,
  createMemorySecretStore,
  createMemoryTokenStore,
  createRegistry,
  type MailAccount,
  type Mailer,
} from '@mailplug/core';
import { createOutbox, createSqliteOutboxStore } from '@mailplug/outbox';
import { createSmtpProtocol } from '@mailplug/protocol-smtp';
import { SMTPServer } from 'smtp-server';
import { runSoak } from './outbox-soak.js';
import { fixed, median, ratio } from './stats.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyIndex = argv.indexOf('--only');
const only = onlyIndex >= 0 ? argv[onlyIndex + 1] : undefined;
const PASSWORD = 'bench-password-0451';

interface Sink {
  readonly port: number;
  readonly messageIds: Set<string>;
  count: number;
  close(): Promise<void>;
}

/** A fast loopback SMTP server (PLAIN, no TLS) that counts messages and keeps their Message-IDs. */
async function startSink(): Promise<Sink> {
  const sink = { messageIds: new Set<string>(), count: 0 } as Sink & { count: number };
  const server = new SMTPServer({
    authMethods: ['PLAIN'],
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    // No reverse DNS lookup per connection: loopback has no PTR, and the lookup would dominate.
    disableReverseLookup: true,
    logger: false,
    onAuth: (auth, _s, cb) =>
      cb(auth.password === PASSWORD ? null : new Error('bad'), { user: auth.username }),
    onData(stream, _s, cb) {
      let head = '';
      stream.on('data', (chunk: Buffer) => {
        if (head.length < 4096) head += chunk.toString('utf8');
      });
      stream.on('end', () => {
        const id = /^Message-ID:\s*(.*)$/im.exec(head)?.[1]?.trim();
        if (id) sink.messageIds.add(id);
        sink.count += 1;
        cb();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(sink, {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
}

function benchMailer(): { mailer: Mailer; dispose(): Promise<void> } {
  const registry = createRegistry();
  registry.register(basicAuth);
  registry.register(createSmtpProtocol());
  const mailer = createMailer({
    registry,
    secrets: createMemorySecretStore({ pw: PASSWORD }),
    tokenStore: createMemoryTokenStore(),
    permissions: { canSendOnBehalfOfOrganization: () => true },
  });
  return {
    mailer,
    async dispose() {
      await mailer.dispose();
      await registry.dispose();
    },
  };
}

const message = (i: number) => ({
  to: 'client@example.test',
  subject: `bench ${i}`,
  text: 'Your appointment is confirmed.',
});

const MAILBOXES = 4;

/** Direct side: `count` sends, round-robin over the mailboxes, one caller per mailbox. Returns msg/s. */
async function direct(mailer: Mailer, accounts: readonly MailAccount[], count: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    accounts.map(async () => {
      while (next < count) {
        const i = next++;
        await mailer.send({ account: accounts[i % accounts.length] as MailAccount, message: message(i) });
      }
    }),
  );
  return count / ((performance.now() - t0) / 1000);
}

/** Outbox side: enqueue `count` messages while a worker delivers them. msg/s from first enqueue to last sent. */
async function viaOutbox(
  mailer: Mailer,
  accounts: readonly MailAccount[],
  count: number,
  latencies: number[],
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'mailplug-outbox-bench-'));
  const store = createSqliteOutboxStore({ path: join(dir, 'outbox.db') });
  const outbox = createOutbox({ mailer, store, accounts: new Map(accounts.map((a) => [a.id, a])) });
  let sent = 0;
  let allSent: () => void = () => undefined;
  const done = new Promise<void>((r) => {
    allSent = r;
  });
  outbox.onDidChange((e) => {
    if (e.type === 'sent' && ++sent === count) allSent();
  });
  const worker = outbox.startWorker({ concurrency: accounts.length, pollMs: 50 });
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const s = performance.now();
    await outbox.enqueue({ account: accounts[i % accounts.length] as MailAccount, message: message(i) });
    latencies.push(performance.now() - s);
  }
  await done;
  const rate = count / ((performance.now() - t0) / 1000);
  await worker.stop();
  await outbox.dispose();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

async function throughputFigure(): Promise<Record<string, unknown>> {
  const count = quick ? 300 : 1_000;
  const rounds = quick ? 1 : 3;
  const sink = await startSink();
  const bed = benchMailer();
  const accounts: MailAccount[] = Array.from({ length: MAILBOXES }, (_, i) => ({
    id: `bench-${i}`,
    protocol: 'smtp',
    server: { host: '127.0.0.1', port: sink.port, security: 'none' },
    auth: { provider: 'basic', settings: { username: 'bench@example.test', password: { secretRef: 'pw' } } },
    identity: { fromAddress: 'bench@example.test' },
    scope: { kind: 'system' as const },
    allowInsecureAuth: true,
  }));
  const log = (line: string) => process.stdout.write(`[outbox] ${line}\n`);
  log(
    `${count} messages per side per round, ${rounds} round(s), ${MAILBOXES} mailboxes (the mailer's connection each), SQLite WAL file, worker concurrency ${MAILBOXES}`,
  );
  // Warm-up: open the connection and load everything once.
  await direct(bed.mailer, accounts, 100);
  await viaOutbox(bed.mailer, accounts, 100, []);
  const directRates: number[] = [];
  const outboxRates: number[] = [];
  const latencies: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const sides = [
      async () => directRates.push(await direct(bed.mailer, accounts, count)),
      async () => outboxRates.push(await viaOutbox(bed.mailer, accounts, count, latencies)),
    ];
    if (round % 2 === 1) sides.reverse();
    for (const side of sides) await side();
    log(
      `round ${round + 1}: direct ${fixed(directRates.at(-1) ?? 0)} msg/s, outbox ${fixed(outboxRates.at(-1) ?? 0)} msg/s`,
    );
  }
  const expected = 200 + 2 * rounds * count;
  if (sink.count !== expected)
    log(`PROBLEM: the server received ${sink.count} messages, expected ${expected}`);
  const result = {
    directMsgPerSec: Math.round(median(directRates) * 10) / 10,
    outboxMsgPerSec: Math.round(median(outboxRates) * 10) / 10,
    ratio: ratio(median(outboxRates), median(directRates)),
    enqueueLatencyMs: {
      p50: Math.round(percentile(latencies, 50) * 1000) / 1000,
      p99: Math.round(percentile(latencies, 99) * 1000) / 1000,
    },
    goal: 'outbox ≥ 0.8 × direct',
    received: sink.count,
  };
  log(
    `direct mailer.send ${fixed(result.directMsgPerSec)} msg/s, outbox enqueue→delivered ${fixed(result.outboxMsgPerSec)} msg/s, ratio ${result.ratio} (goal ≥ 0.8: ${result.ratio >= 0.8 ? 'met' : 'MISSED'})`,
  );
  log(`enqueue latency p50 ${result.enqueueLatencyMs.p50} ms, p99 ${result.enqueueLatencyMs.p99} ms`);
  await bed.dispose();
  await sink.close();
  return result;
}

async function main(): Promise<void> {
  // dist/outbox/outbox-bench.js → tooling/bench
  const bench = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const report: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version, loadAverageAtStart: os.loadavg() },
    quick,
  };
  if (only !== 'soak') report.throughput = await throughputFigure();
  if (only !== 'throughput') {
    report.soak = await runSoak({
      quick,
      reliabilityFile: resolve(bench, '..', '..', 'RELIABILITY.md'),
    });
  }
  const out = resolve(bench, 'results', 'outbox.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`Results written to ${out}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
