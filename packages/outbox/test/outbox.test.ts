/**
 * The outbox end to end on real parts: core's mailer, protocol-smtp (nodemailer) and the basic
 * provider against an in-process smtp-server, with the SQLite store.
 */
import {
  createMemoryTokenStore,
  isMailplugError,
  type KeepAliveReport,
  type MailAccount,
  type MailplugError,
} from '@mailplug/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createOutbox,
  createSqliteOutboxStore,
  type Outbox,
  type OutboxEvent,
  type OutboxOptions,
  type OutboxStore,
  type OutboxWorker,
} from '../src/index.js';
import {
  createTestMailer,
  eventually,
  type MailerBed,
  PASSWORD,
  startTestSmtpServer,
  type TestSmtpServer,
  testAccount,
} from './harness.js';

let smtp: TestSmtpServer;
let bed: MailerBed;
let store: OutboxStore;
let outbox: Outbox;
let account: MailAccount;
let events: OutboxEvent[];
const workers: OutboxWorker[] = [];

const FAST_RETRY = { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 4 };

function open(extra: Partial<OutboxOptions> = {}): Outbox {
  const accounts = new Map([[account.id, account]]);
  outbox = createOutbox({
    mailer: bed.mailer,
    store,
    accounts,
    retry: FAST_RETRY,
    ...extra,
  });
  events = [];
  outbox.onDidChange((e) => events.push(e));
  return outbox;
}

function work(options = {}): OutboxWorker {
  const worker = outbox.startWorker({ pollMs: 10, leaseMs: 5_000, ...options });
  workers.push(worker);
  return worker;
}

const message = (subject: string, to = 'client@example.test') => ({
  to,
  subject,
  text: `Body of ${subject}.`,
});

async function refusal(promise: Promise<unknown>): Promise<MailplugError> {
  const outcome = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMailplugError(outcome)) throw new Error(`expected a MailplugError, got ${String(outcome)}`);
  return outcome;
}

beforeEach(async () => {
  smtp = await startTestSmtpServer();
  bed = createTestMailer();
  store = createSqliteOutboxStore({ path: ':memory:' });
  account = testAccount(smtp.port);
  open();
});

afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.stop();
  await outbox.dispose();
  await store.close();
  await bed.dispose();
  await smtp.close();
});

describe('enqueue', () => {
  it('stores the message, then a worker delivers it with the Message-ID assigned at enqueue', async () => {
    const queued = await outbox.enqueue({ account, actingUser: 'alice', message: message('Invoice 1') });
    expect(queued.created).toBe(true);
    expect(queued.messageId).toMatch(/^<[0-9a-f-]{36}@example\.test>$/);
    expect((await outbox.get(queued.id))?.state).toBe('queued');
    work();
    await smtp.waitFor(1);
    expect(smtp.received[0]?.messageId).toBe(queued.messageId);
    await eventually(async () => (await outbox.get(queued.id))?.state === 'sent');
    const status = await outbox.get(queued.id);
    expect(status?.history.map((h) => h.outcome)).toEqual(['sent']);
    expect(status?.result?.accepted).toEqual(['client@example.test']);
    expect(events.map((e) => e.type)).toEqual(['queued', 'sent']);
  });

  it("keeps the host's message.messageId on every attempt and records it as the message's Message-ID", async () => {
    smtp.replyToNextData({ code: 451, message: '4.3.0 Try again later' });
    const queued = await outbox.enqueue({
      account,
      actingUser: 'alice',
      message: { ...message('Stable'), messageId: '<invoice-1042@clinic.example>' },
    });
    expect(queued.messageId).toBe('<invoice-1042@clinic.example>');
    work();
    await eventually(async () => (await outbox.get(queued.id))?.state === 'sent');
    expect((await outbox.get(queued.id))?.history.map((h) => h.outcome)).toEqual(['deferred', 'sent']);
    expect(smtp.received.map((m) => m.messageId)).toEqual(['<invoice-1042@clinic.example>']);
    const conflicting = await refusal(
      outbox.enqueue({
        account,
        actingUser: 'alice',
        message: { ...message('x'), messageId: '<a@x.example>', headers: { 'Message-ID': '<b@x.example>' } },
      }),
    );
    expect(conflicting.code).toBe('OUTBOX_MESSAGE_INVALID');
    expect(conflicting.hint).toMatch(/once, as message\.messageId/);
    const malformed = await refusal(
      outbox.enqueue({ account, actingUser: 'alice', message: { ...message('x'), messageId: 'no-domain' } }),
    );
    expect(malformed.message).toMatch(/not of the form <local@domain>/);
  });

  it('keeps a Message-ID the host set', async () => {
    const queued = await outbox.enqueue({
      account,
      actingUser: 'alice',
      message: { ...message('Reminder'), headers: { 'message-id': '<appointment-42@clinic.example>' } },
    });
    expect(queued.messageId).toBe('<appointment-42@clinic.example>');
    work();
    await smtp.waitFor(1);
    expect(smtp.received[0]?.messageId).toBe('<appointment-42@clinic.example>');
  });

  it('refuses at once and stores nothing: invalid account, other user, missing permission, no recipient, unknown account', async () => {
    const broken = { ...account, server: { ...account.server, port: 0 } };
    expect(
      (await refusal(outbox.enqueue({ account: broken, actingUser: 'alice', message: message('x') }))).code,
    ).toBe('CONFIG_INVALID');
    const denied = await refusal(outbox.enqueue({ account, actingUser: 'mallory', message: message('x') }));
    expect(denied).toMatchObject({ code: 'SEND_PERMISSION_DENIED', action: 'admin' });
    const personal = { ...account, id: 'bobs', scope: { kind: 'user' as const, owner: 'bob' } };
    expect(
      (await refusal(outbox.enqueue({ account: personal, actingUser: 'alice', message: message('x') }))).code,
    ).toBe('SEND_PERMISSION_DENIED');
    const empty = await refusal(
      outbox.enqueue({ account, actingUser: 'alice', message: { to: [], subject: 'x' } }),
    );
    expect(empty.code).toBe('OUTBOX_MESSAGE_INVALID');
    expect(empty.hint).toMatch(/at least one address/);
    const elsewhere = { ...account, id: 'not-in-directory' };
    const unknown = await refusal(
      outbox.enqueue({ account: elsewhere, actingUser: 'alice', message: message('x') }),
    );
    expect(unknown.code).toBe('OUTBOX_ACCOUNT_UNKNOWN');
    expect(await store.list()).toEqual([]);
    expect(events).toEqual([]);
  });

  it("the mailer's permissions decide who may queue (mailer.preflight)", async () => {
    open();
    const denied = await refusal(outbox.enqueue({ account, actingUser: 'mallory', message: message('x') }));
    expect(denied).toMatchObject({ code: 'SEND_PERMISSION_DENIED', action: 'admin' });
    expect(denied.hint).toMatch(/send on behalf of organization/);
    const nobody = await refusal(outbox.enqueue({ account, message: message('x') }));
    expect(nobody).toMatchObject({ code: 'SEND_PERMISSION_DENIED', action: 'developer' });
    expect(nobody.hint).toMatch(/actingUser/);
    const system = { ...account, id: 'system', scope: { kind: 'system' as const } };
    open();
    expect((await refusal(outbox.enqueue({ account: system, message: message('x') }))).code).toBe(
      'OUTBOX_ACCOUNT_UNKNOWN',
    ); // past preflight: a system account needs no user
    expect(await store.list()).toEqual([]);
    await outbox.enqueue({ account, actingUser: 'alice', message: message('Allowed') });
    expect(await store.list()).toHaveLength(1);
  });

  it('the same idempotency key yields one message and one delivery', async () => {
    const first = await outbox.enqueue({
      account,
      actingUser: 'alice',
      message: message('Once'),
      idempotencyKey: 'inv-9',
    });
    const again = await outbox.enqueue({
      account,
      actingUser: 'alice',
      message: message('Once'),
      idempotencyKey: 'inv-9',
    });
    expect(again).toEqual({ id: first.id, messageId: first.messageId, created: false });
    work();
    await smtp.waitFor(1);
    await eventually(async () => (await outbox.get(first.id))?.state === 'sent');
    expect(smtp.received).toHaveLength(1);
  });
});

describe('worker', () => {
  it('retries a temporary failure with backoff, sending the same Message-ID', async () => {
    smtp.replyToNextData(
      { code: 451, message: '4.3.0 Try again later' },
      { code: 451, message: '4.3.0 Try again later' },
    );
    const queued = await outbox.enqueue({ account, actingUser: 'alice', message: message('Flaky') });
    work();
    await eventually(async () => (await outbox.get(queued.id))?.state === 'sent');
    const status = await outbox.get(queued.id);
    expect(status?.history.map((h) => h.outcome)).toEqual(['deferred', 'deferred', 'sent']);
    expect(status?.history[0]).toMatchObject({ code: 'SMTP_TRANSIENT', action: 'retry' });
    expect(smtp.received.map((m) => m.messageId)).toEqual([queued.messageId]);
    expect(events.filter((e) => e.type === 'deferred')).toHaveLength(2);
  });

  it('fails after the attempt ceiling, and the host can retry it', async () => {
    smtp.replyToNextData(
      ...Array.from({ length: 4 }, () => ({ code: 451, message: '4.3.0 Try again later' })),
    );
    const queued = await outbox.enqueue({ account, actingUser: 'alice', message: message('Doomed') });
    work();
    await eventually(async () => (await outbox.get(queued.id))?.state === 'failed');
    const failed = await outbox.get(queued.id);
    expect(failed?.attempts).toBe(4);
    expect(failed?.lastError).toMatchObject({ code: 'OUTBOX_RETRIES_EXHAUSTED', action: 'admin' });
    expect(failed?.lastError?.hint).toMatch(/outbox\.retry\(id\)/);
    expect(events.at(-1)).toMatchObject({ type: 'failed', id: queued.id });
    await outbox.retry(queued.id);
    await smtp.waitFor(1);
    await eventually(async () => (await outbox.get(queued.id))?.state === 'sent');
    expect((await outbox.get(queued.id))?.history).toHaveLength(5);
  });

  it('an admin error fails the message with the classified error; other messages go on', async () => {
    smtp.replyToNextData({ code: 554, message: '5.7.1 Message rejected as spam' });
    const bad = await outbox.enqueue({ account, actingUser: 'alice', message: message('Spammy') });
    const good = await outbox.enqueue({ account, actingUser: 'alice', message: message('Fine') });
    work({ concurrencyPerMailbox: 1 });
    await eventually(async () => (await outbox.get(good.id))?.state === 'sent');
    const status = await outbox.get(bad.id);
    expect(status?.state).toBe('failed');
    expect(status?.lastError).toMatchObject({ code: 'SMTP_MESSAGE_REJECTED', action: 'admin' });
    expect(status?.attempts).toBe(1);
  });

  it('a message whose every recipient is refused fails alone; the account is not held', async () => {
    smtp.rejectRecipient('nobody@example.test', { code: 550, message: '5.1.1 No such user' });
    const bad = await outbox.enqueue({
      account,
      actingUser: 'alice',
      message: message('Lost', 'nobody@example.test'),
    });
    const good = await outbox.enqueue({ account, actingUser: 'alice', message: message('Found') });
    work({ concurrencyPerMailbox: 1 });
    await eventually(async () => (await outbox.get(good.id))?.state === 'sent');
    expect((await outbox.get(bad.id))?.lastError?.code).toBe('SMTP_RECIPIENTS_REJECTED');
    expect((await outbox.accountStatus(account.id)).hold).toBeUndefined();
  });

  it('a sign-in problem holds every message of the account without retrying, until released', async () => {
    smtp.refuseAuth({ code: 535, message: '5.7.8 Username and Password not accepted' });
    const first = await outbox.enqueue({ account, actingUser: 'alice', message: message('m1') });
    const second = await outbox.enqueue({ account, actingUser: 'alice', message: message('m2') });
    work({ concurrencyPerMailbox: 1 });
    await eventually(async () => (await outbox.accountStatus(account.id)).counts.held === 2);
    const third = await outbox.enqueue({ account, actingUser: 'alice', message: message('m3') });
    expect((await outbox.get(third.id))?.state).toBe('held');
    const status = await outbox.accountStatus(account.id);
    expect(status.hold?.error).toMatchObject({ code: 'SMTP_BAD_CREDENTIALS', action: 'user' });
    expect(status.oldestHeld?.id).toBe(first.id);
    expect(events.filter((e) => e.type === 'held')).toHaveLength(1);
    const attempts = smtp.authAttempts;
    await new Promise((r) => setTimeout(r, 200)); // 20 poll rounds: nothing may be attempted
    expect(smtp.authAttempts).toBe(attempts);
    expect((await outbox.get(second.id))?.history).toEqual([]);

    smtp.refuseAuth(undefined);
    expect(await outbox.release(account.id)).toBe(3);
    await smtp.waitFor(3);
    expect(smtp.received.map((m) => m.subject)).toEqual(['m1', 'm2', 'm3']);
    expect(events.find((e) => e.type === 'released')).toEqual({
      type: 'released',
      accountId: account.id,
      count: 3,
      reason: 'host',
    });
  });

  it('432 4.3.2 pauses the mailbox instead of failing; the deferral does not use up an attempt', async () => {
    open({ quota: { concurrencyPauseMs: 300 } });
    smtp.replyToNextData({ code: 432, message: '4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded' });
    const queued = await outbox.enqueue({ account, actingUser: 'alice', message: message('Busy mailbox') });
    work();
    await eventually(() => events.some((e) => e.type === 'deferred'));
    const deferred = events.find((e) => e.type === 'deferred');
    expect(deferred).toMatchObject({ type: 'deferred', reason: 'quota' });
    expect((await outbox.accountStatus(account.id)).pausedUntil).toBeGreaterThan(Date.now());
    await eventually(async () => (await outbox.get(queued.id))?.state === 'sent');
    const status = await outbox.get(queued.id);
    expect(status?.attempts).toBe(1);
    expect(status?.history.map((h) => h.outcome)).toEqual(['deferred', 'sent']);
  });

  it('554 5.2.0 SubmissionQuotaExceeded reschedules the mailbox for the daily pause', async () => {
    open({ quota: { dailyQuotaPauseMs: 3_600_000 } });
    smtp.replyToNextData({
      code: 554,
      message:
        '5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message',
    });
    const queued = await outbox.enqueue({ account, actingUser: 'alice', message: message('Over quota') });
    work();
    await eventually(async () => (await outbox.get(queued.id))?.state === 'deferred');
    const status = await outbox.get(queued.id);
    expect(status?.notBefore).toBeGreaterThan(Date.now() + 3_500_000);
    expect((await outbox.accountStatus(account.id)).pausedUntil).toBe(status?.notBefore);
  });

  it('stays under a per-mailbox limit by deferring, then sends when the window frees', async () => {
    let offset = 0;
    open({ clock: () => Date.now() + offset, limits: () => ({ messagesPerMinute: 3 }) });
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      ids.push((await outbox.enqueue({ account, actingUser: 'alice', message: message(`n${i}`) })).id);
    }
    work({ concurrencyPerMailbox: 1 });
    await smtp.waitFor(3);
    await eventually(() => events.some((e) => e.type === 'deferred' && e.reason === 'limit'));
    await new Promise((r) => setTimeout(r, 100));
    expect(smtp.received).toHaveLength(3);
    const status = await outbox.accountStatus(account.id);
    expect(status.counts.sent).toBe(3);
    expect(status.pausedUntil).toBeGreaterThan(Date.now());
    offset = 61_000;
    await smtp.waitFor(5);
    expect(smtp.received.map((m) => m.subject)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    const limited = await outbox.get(ids[3] ?? '');
    expect(limited?.history.map((h) => h.outcome)).toEqual(['limited', 'sent']);
    expect(limited?.attempts).toBe(1);
  });

  it('cancel keeps a queued message from being sent; a sent one cannot be cancelled', async () => {
    const cancelled = await outbox.enqueue({ account, actingUser: 'alice', message: message('Never') });
    const kept = await outbox.enqueue({ account, actingUser: 'alice', message: message('Kept') });
    await outbox.cancel(cancelled.id);
    work();
    await smtp.waitFor(1);
    await eventually(async () => (await outbox.get(kept.id))?.state === 'sent');
    expect(smtp.received.map((m) => m.subject)).toEqual(['Kept']);
    expect((await refusal(outbox.cancel(kept.id))).code).toBe('OUTBOX_ALREADY_SENT');
    expect((await refusal(outbox.retry('nope'))).code).toBe('OUTBOX_MESSAGE_UNKNOWN');
  });

  it('the attempt history and events never carry the password', async () => {
    smtp.refuseAuth({ code: 535, message: `5.7.8 Rejected ${PASSWORD}` });
    const queued = await outbox.enqueue({ account, actingUser: 'alice', message: message('Secret') });
    work();
    await eventually(async () => (await outbox.get(queued.id))?.state === 'held');
    const everything = JSON.stringify([
      await outbox.get(queued.id),
      await outbox.accountStatus(account.id),
      events,
    ]);
    expect(everything).toContain('SMTP_BAD_CREDENTIALS');
    expect(everything).not.toContain(PASSWORD);
  });

  it('stop waits for the attempt in flight to be recorded', async () => {
    const queued = await outbox.enqueue({ account, actingUser: 'alice', message: message('Last one') });
    const worker = work();
    await smtp.waitFor(1);
    await worker.stop();
    expect((await outbox.get(queued.id))?.state).toBe('sent');
  });
});

describe('keep-alive in the worker', () => {
  const DAY = 24 * 60 * 60_000;

  it('runs when the worker starts and on every interval, on the outbox clock; its report reaches the host; it stops with the last worker', async () => {
    let now = Date.UTC(2026, 0, 1);
    const tokenStore = createMemoryTokenStore();
    // A personal account: the scheduler must act as an admin operation to get its session.
    const personal = testAccount(smtp.port, { id: 'alice-own', scope: { kind: 'user', owner: 'alice' } });
    open({
      clock: () => now,
      keepAlive: {
        tokenStore,
        accounts: () => [account, personal],
        intervalMs: 30,
        // basic has no refresh token; give it a window so the test needs no identity platform.
        inactivityWindows: { basic: 90 * DAY },
      },
    });
    const reports: KeepAliveReport[] = [];
    outbox.onDidKeepAlive((report) => reports.push(report));
    const outcomes = () => reports.at(-1)?.accounts.map((a) => `${a.accountId}:${a.outcome}`);
    expect(outbox.keepAliveReport()).toBeUndefined();

    const first = work();
    const second = work(); // one scheduler per outbox, however many workers
    await eventually(() => reports.length > 0);
    expect(reports[0]?.at).toBe(now);
    expect(outcomes()).toEqual(['office:keptAlive', 'alice-own:keptAlive']);
    expect(await tokenStore.get('office:keepalive')).toBe(now);

    now += 29 * DAY; // under a third of 90 days since the refresh
    await eventually(() => reports.at(-1)?.at === now);
    expect(outcomes()).toEqual(['office:notDue', 'alice-own:notDue']);
    now += 2 * DAY;
    await eventually(() => reports.at(-1)?.at === now);
    expect(outcomes()).toEqual(['office:keptAlive', 'alice-own:keptAlive']);
    expect(outbox.keepAliveReport()).toBe(reports.at(-1));

    await first.stop();
    now += DAY;
    await eventually(() => reports.at(-1)?.at === now); // the second worker still runs it
    await second.stop();
    const count = reports.length;
    now += 100 * DAY;
    await new Promise((r) => setTimeout(r, 200)); // several intervals: nothing runs any more
    expect(reports).toHaveLength(count);
    expect(await tokenStore.get('office:keepalive')).toBeLessThan(now);
  });

  it('a failing account is reported with its code and hint; the others are still kept alive', async () => {
    const tokenStore = createMemoryTokenStore();
    const orphan = testAccount(smtp.port, {
      id: 'orphan',
      auth: { provider: 'not-installed', settings: {} },
    });
    open({
      keepAlive: {
        tokenStore,
        accounts: () => [orphan, account],
        inactivityWindows: { basic: DAY, 'not-installed': DAY },
      },
    });
    work();
    await eventually(() => outbox.keepAliveReport() !== undefined);
    const [failed, kept] = outbox.keepAliveReport()?.accounts ?? [];
    expect(failed).toMatchObject({ accountId: 'orphan', outcome: 'failed' });
    expect(failed?.error?.hint).toBeTruthy();
    expect(kept).toMatchObject({ accountId: 'office', outcome: 'keptAlive' });
  });

  it('without the keepAlive option a worker runs no keep-alive', async () => {
    work();
    const queued = await outbox.enqueue({ account, actingUser: 'alice', message: message('Plain') });
    await eventually(async () => (await outbox.get(queued.id))?.state === 'sent');
    expect(outbox.keepAliveReport()).toBeUndefined();
  });
});
