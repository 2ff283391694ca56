/**
 * Shared parts of the crash tests: worker processes that are SIGKILLed at random moments, and the
 * audit afterwards — every message delivered, none lost, every duplicate explained by a kill that
 * fell between the server reading the end of DATA and the store recording the 250.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { MailAccount } from '@mailplug/core';
import type { Outbox, OutboxRecord, OutboxStore } from '../../src/index.js';
import type { ReceivedMessage, TestSmtpServer } from '../harness.js';
import { testAccount } from '../mailer-bed.js';

/** The mailboxes the crash runs send from: one connection each, so they send in parallel. */
export function crashAccounts(port: number): MailAccount[] {
  return Array.from({ length: 4 }, (_, i) =>
    testAccount(port, { id: `office-${i}`, scope: { kind: 'system' } }),
  );
}

/** Enqueues `count` messages round-robin over the accounts; returns their ids. */
export async function enqueueCrashMessages(outbox: Outbox, accounts: readonly MailAccount[], count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const account = accounts[i % accounts.length] as MailAccount;
    ids.push(
      (await outbox.enqueue({ account, message: { to: 'client@example.test', subject: `c${i}`, text: 'x' } }))
        .id,
    );
  }
  return ids;
}

/** How many messages of these accounts are sent. */
export async function sentCount(store: OutboxStore, accounts: readonly MailAccount[]): Promise<number> {
  const statuses = await Promise.all(accounts.map((a) => store.accountStatus(a.id)));
  return statuses.reduce((sum, s) => sum + s.counts.sent, 0);
}

/** Deterministic PRNG so a failing run can be replayed from its printed seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface WorkerProcess {
  readonly id: string;
  readonly child: ChildProcess;
  /** Resolves when the worker printed `ready`; rejects if it exited first. */
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  stderr(): string;
}

export function spawnWorker(bundle: string, id: string, args: readonly string[]): WorkerProcess {
  const child = spawn(process.execPath, [bundle, ...args.slice(0, 4), id, ...args.slice(4)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`worker ${id} exited (${code ?? signal}): ${stderr}`)),
    );
  });
  ready.catch(() => undefined);
  return { id, child, ready, exited, stderr: () => stderr };
}

/**
 * Lets a worker run, then SIGKILLs it at a random point: either right as the server reads the end
 * of DATA of its n-th message (1–12; often inside the duplicate window), or 0–150 ms after it
 * started. Resolves with the moment of the kill.
 */
export async function runAndKill(
  worker: WorkerProcess,
  smtp: TestSmtpServer,
  random: () => number,
  maxLifeMs = 10_000,
): Promise<number> {
  await worker.ready;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, random() < 0.6 ? maxLifeMs : Math.floor(random() * 150));
    let left = 1 + Math.floor(random() * 12);
    const stop = smtp.onMessage(() => {
      left -= 1;
      if (left === 0) done();
    });
    function done() {
      clearTimeout(timer);
      stop();
      resolve();
    }
  });
  return kill(worker);
}

/**
 * SIGKILLs the worker and resolves once it is gone, with the moment it was seen gone: the signal
 * takes effect a little after it is sent, so the worker may still finish a write until then.
 */
export async function kill(worker: WorkerProcess): Promise<number> {
  worker.child.kill('SIGKILL');
  await worker.exited;
  return Date.now();
}

export interface CrashAudit {
  readonly messages: number;
  readonly delivered: number;
  readonly lost: number;
  readonly copies: number;
  readonly duplicates: number;
  readonly explained: number;
  /** Duplicates no kill explains (must be empty). */
  readonly unexplained: readonly string[];
  /** Messages that are not `sent` (must be empty). */
  readonly unsent: readonly string[];
}

/**
 * The end of DATA a worker wrote just before it died may still be in its socket buffer: the kernel
 * delivers it, and the server can read it a moment after the parent saw the worker exit.
 */
const EXIT_GRACE_MS = 250;

/**
 * Matches every copy the server received to an attempt: the attempt that recorded `sent`, or an
 * `interrupted` one whose worker was killed after the server read that copy's end of DATA
 * (at ≤ receivedAt ≤ kill time). A copy that matches neither is an unexplained duplicate.
 */
export async function auditCrashRun(
  store: OutboxStore,
  ids: readonly string[],
  received: readonly ReceivedMessage[],
  killedAt: ReadonlyMap<string, number>,
): Promise<CrashAudit> {
  const records: OutboxRecord[] = [];
  for (const id of ids) {
    const record = await store.get(id);
    if (record) records.push(record);
  }
  const copiesOf = new Map<string, ReceivedMessage[]>();
  for (const copy of received) {
    const list = copiesOf.get(copy.messageId) ?? [];
    list.push(copy);
    copiesOf.set(copy.messageId, list);
  }
  const unsent = records.filter((r) => r.state !== 'sent').map((r) => `${r.id}:${r.state}`);
  let lost = ids.length - records.length;
  let duplicates = 0;
  let explained = 0;
  const unexplained: string[] = [];
  for (const record of records) {
    const copies = [...(copiesOf.get(record.messageId) ?? [])].sort((a, b) => a.receivedAt - b.receivedAt);
    if (copies.length === 0) {
      lost += 1;
      continue;
    }
    duplicates += copies.length - 1;
    const windows = record.history
      .filter((h) => h.outcome === 'sent' || (h.outcome === 'interrupted' && killedAt.has(h.worker)))
      .map((h) => ({
        from: h.at,
        to: h.outcome === 'sent' ? h.endedAt : (killedAt.get(h.worker) ?? 0) + EXIT_GRACE_MS,
      }));
    let unmatched = 0;
    for (const copy of copies) {
      const index = windows.findIndex((w) => w.from <= copy.receivedAt && copy.receivedAt <= w.to);
      if (index === -1) unmatched += 1;
      else windows.splice(index, 1);
    }
    if (unmatched > 0) {
      const attempts = record.history.map(
        (h) => `${h.outcome}@${h.at}-${h.endedAt} by ${h.worker} (killed ${killedAt.get(h.worker) ?? '-'})`,
      );
      unexplained.push(
        `${record.messageId}: copies at ${copies.map((c) => c.receivedAt).join(', ')}; attempts ${attempts.join('; ')}`,
      );
    } else explained += copies.length - 1;
  }
  return {
    messages: ids.length,
    delivered: records.length - unsent.length,
    lost,
    copies: received.length,
    duplicates,
    explained,
    unexplained,
    unsent,
  };
}
