/**
 * `@mailplug/outbox/testing` — the conformance suite every outbox store passes (Keyv style: your
 * runner's `it` and a factory that returns a fresh, empty store per test). Time is passed in
 * explicitly, so no check depends on the wall clock.
 *
 * (This suite belongs in `@mailplug/testkit`; it lives here until testkit's rework lands.)
 *
 * @example
 * import { it } from 'vitest';
 * import { outboxStoreSuite } from '@mailplug/outbox/testing';
 * outboxStoreSuite(it, () => createSqliteOutboxStore({ path: ':memory:' }));
 */
import type { NewOutboxRecord, OutboxStore, Settlement } from './outbox-store.js';

/** The runner's test function (vitest's or jest's `it`, node:test's `test`). */
export type TestFunction = (name: string, body: () => Promise<void>) => unknown;

export class OutboxStoreConformanceError extends Error {
  override readonly name = 'OutboxStoreConformanceError';
}

function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new OutboxStoreConformanceError(message);
}

const T0 = 1_700_000_000_000;
const LEASE = 10_000;
let counter = 0;

function newRecord(accountId: string, extra: Partial<NewOutboxRecord> = {}): NewOutboxRecord {
  counter += 1;
  return {
    id: `msg-${counter}-${Math.random().toString(36).slice(2, 8)}`,
    accountId,
    payload: JSON.stringify({ to: 'bob@example.test', subject: `s${counter}`, text: 'x' }),
    messageId: `<m${counter}@example.test>`,
    subject: `s${counter}`,
    recipients: 1,
    enqueuedAt: T0,
    ...extra,
  };
}

const attempt = (outcome: 'sent' | 'deferred' | 'held' | 'failed', at = T0) => ({
  at,
  endedAt: at + 5,
  outcome,
  worker: 'w1',
});

const error = (code: string, action: 'user' | 'retry' | 'admin') => ({
  name: 'MailplugError' as const,
  code,
  action,
  message: `${code} happened`,
  hint: `Fix ${code}.`,
});

const sent = (at = T0): Settlement => ({
  state: 'sent',
  attempt: attempt('sent', at),
  sentAt: at + 5,
  result: { accepted: ['bob@example.test'], rejected: [], response: '250 OK' },
});

const claimAll = (store: OutboxStore, owner: string, now: number, limit = 100, perAccount = 100) =>
  store.claim({ owner, now, leaseMs: LEASE, limit, perAccount, busy: {} });

const ids = (records: readonly { readonly id: string }[]) => records.map((r) => r.id);

async function addAll(store: OutboxStore, records: readonly NewOutboxRecord[]): Promise<void> {
  for (const r of records) await store.add(r);
}

type Check = (store: OutboxStore) => Promise<void>;

export const outboxStoreChecks: Readonly<Record<string, Check>> = {
  'add stores a queued message that get returns whole': async (store) => {
    const record = newRecord('a', { actingUser: 'u1', idempotencyKey: 'k1' });
    const added = await store.add(record);
    ensure(added.created && added.id === record.id, 'add should report the new id as created');
    const got = await store.get(record.id);
    ensure(got, 'get should return the added message');
    ensure(got.state === 'queued', `a new message should be queued, got ${got.state}`);
    for (const key of ['accountId', 'actingUser', 'payload', 'messageId', 'subject', 'recipients'] as const) {
      ensure(got[key] === record[key], `get should return ${key} unchanged`);
    }
    ensure(got.attempts === 0 && got.history.length === 0, 'a new message has no attempts');
    ensure(got.notBefore === T0 && got.windowStart === T0, 'a new message is due at enqueue');
    ensure((await store.get('no-such-id')) === undefined, 'get of an unknown id should be undefined');
  },

  'the same idempotency key in one account yields one message': async (store) => {
    const first = newRecord('a', { idempotencyKey: 'invoice-7' });
    await store.add(first);
    const again = await store.add(newRecord('a', { idempotencyKey: 'invoice-7' }));
    ensure(!again.created && again.id === first.id, 'a repeated key should return the first id, not created');
    const other = await store.add(newRecord('b', { idempotencyKey: 'invoice-7' }));
    ensure(other.created, 'the same key in another account is another message');
    ensure((await store.list({ accountId: 'a' })).length === 1, 'account a should hold one message');
  },

  'claim leases due messages in enqueue order, once': async (store) => {
    const records = [newRecord('a'), newRecord('b'), newRecord('a')];
    await addAll(store, records);
    const claimed = await claimAll(store, 'w1', T0);
    ensure(
      ids(claimed).join() === ids(records).join(),
      `claim should return messages in enqueue order, got ${ids(claimed)}`,
    );
    for (const r of claimed) {
      ensure(r.state === 'sending' && r.leaseOwner === 'w1', 'a claimed message is sending, leased by w1');
      ensure(
        r.leaseExpiresAt === T0 + LEASE && r.attempts === 1,
        'the lease runs leaseMs; the attempt counts',
      );
    }
    ensure((await claimAll(store, 'w2', T0 + 1)).length === 0, 'a leased message must not be claimed again');
  },

  'claim honours limit, per-account cap and busy counts': async (store) => {
    await addAll(store, [newRecord('a'), newRecord('a'), newRecord('a'), newRecord('b'), newRecord('b')]);
    const first = await store.claim({
      owner: 'w1',
      now: T0,
      leaseMs: LEASE,
      limit: 10,
      perAccount: 2,
      busy: { b: 1 },
    });
    const perAccount = (acct: string) => first.filter((r) => r.accountId === acct).length;
    ensure(
      perAccount('a') === 2 && perAccount('b') === 1,
      `cap 2 with b busy 1: got a=${perAccount('a')} b=${perAccount('b')}`,
    );
    const second = await store.claim({
      owner: 'w1',
      now: T0,
      leaseMs: LEASE,
      limit: 1,
      perAccount: 5,
      busy: {},
    });
    ensure(second.length === 1, 'limit 1 should lease one message');
  },

  'a deferred message is not claimed before it is due': async (store) => {
    const record = newRecord('a');
    await store.add(record);
    await claimAll(store, 'w1', T0);
    const settled = await store.settle(record.id, 'w1', {
      state: 'deferred',
      attempt: attempt('deferred'),
      notBefore: T0 + 60_000,
      countsAsAttempt: true,
      error: error('SMTP_TRANSIENT', 'retry'),
    });
    ensure(settled, 'the lease owner should be able to settle');
    const got = await store.get(record.id);
    ensure(
      got?.state === 'deferred' && got.notBefore === T0 + 60_000,
      'the message should be deferred until due',
    );
    ensure(got.lastError?.code === 'SMTP_TRANSIENT', 'the error should be kept as lastError');
    ensure((await claimAll(store, 'w1', T0 + 59_999)).length === 0, 'not claimable before notBefore');
    const later = await claimAll(store, 'w1', T0 + 60_000);
    ensure(later.length === 1 && later[0]?.attempts === 2, 'claimable when due, second attempt');
  },

  'a limit deferral does not count as an attempt': async (store) => {
    const record = newRecord('a');
    await store.add(record);
    await claimAll(store, 'w1', T0);
    await store.settle(record.id, 'w1', {
      state: 'deferred',
      attempt: { ...attempt('deferred'), outcome: 'limited' },
      notBefore: T0 + 1,
      countsAsAttempt: false,
    });
    const got = await store.get(record.id);
    ensure(got?.attempts === 0, `a limit deferral must not use up an attempt, attempts=${got?.attempts}`);
    ensure(
      got.history.length === 1 && got.history[0]?.outcome === 'limited',
      'the deferral is in the history',
    );
  },

  'an expired lease is claimed again, recorded as interrupted; the old owner can no longer settle': async (
    store,
  ) => {
    const record = newRecord('a');
    await store.add(record);
    await claimAll(store, 'w1', T0);
    ensure((await claimAll(store, 'w2', T0 + LEASE - 1)).length === 0, 'a live lease must not be taken');
    const taken = await claimAll(store, 'w2', T0 + LEASE);
    ensure(
      taken.length === 1 && taken[0]?.leaseOwner === 'w2',
      'another worker should take the expired lease',
    );
    const interrupted = taken[0]?.history.find((h) => h.outcome === 'interrupted');
    ensure(
      interrupted?.worker === 'w1' && interrupted.at === T0,
      'the interrupted attempt names w1 and when it began',
    );
    ensure(taken[0]?.attempts === 2, 'both attempts count');
    ensure(!(await store.settle(record.id, 'w1', sent())), 'the old owner must not settle');
    ensure(!(await store.extendLease(record.id, 'w1', T0 + 99_999)), 'the old owner must not extend');
    ensure(await store.settle(record.id, 'w2', sent()), 'the new owner settles');
  },

  'extendLease keeps a message leased past its first expiry': async (store) => {
    const record = newRecord('a');
    await store.add(record);
    await claimAll(store, 'w1', T0);
    ensure(await store.extendLease(record.id, 'w1', T0 + 3 * LEASE), 'the owner extends its lease');
    ensure((await claimAll(store, 'w2', T0 + 2 * LEASE)).length === 0, 'an extended lease is not taken');
  },

  'settle sent records the result once': async (store) => {
    const record = newRecord('a');
    await store.add(record);
    await claimAll(store, 'w1', T0);
    ensure(await store.settle(record.id, 'w1', sent()), 'settle should succeed for the owner');
    const got = await store.get(record.id);
    ensure(got?.state === 'sent' && got.sentAt === T0 + 5, 'the message should be sent');
    ensure(got.result?.response === '250 OK' && got.result.accepted.length === 1, 'the result is kept');
    ensure(got.history.length === 1 && got.history[0]?.outcome === 'sent', 'one sent attempt in the history');
    ensure(!(await store.settle(record.id, 'w1', sent())), 'a second settle must be refused');
    ensure((await store.retry(record.id, T0)) === 'sent', 'a sent message cannot be retried');
    ensure((await store.cancel(record.id, T0)) === 'sent', 'a sent message cannot be cancelled');
  },

  'a hold stops every message of the account until release, then they go in order': async (store) => {
    const [a1, a2, a3, b1] = [newRecord('a'), newRecord('a'), newRecord('a'), newRecord('b')];
    await addAll(store, [a1, a2, a3, b1]);
    const claimed = await store.claim({
      owner: 'w1',
      now: T0,
      leaseMs: LEASE,
      limit: 10,
      perAccount: 1,
      busy: {},
    });
    ensure(ids(claimed).join() === [a1.id, b1.id].join(), 'one per account');
    const heldError = error('REAUTH_REQUIRED', 'user');
    ensure(
      await store.settle(a1.id, 'w1', { state: 'held', attempt: attempt('held'), error: heldError }),
      'the owner records the hold',
    );
    const late = newRecord('a');
    await store.add(late);
    ensure((await store.get(late.id))?.state === 'held', 'a message added to a held account is held');
    const status = await store.accountStatus('a');
    ensure(
      status.hold?.error.code === 'REAUTH_REQUIRED' && status.hold.causedBy === a1.id,
      'the hold says why',
    );
    ensure(status.counts.held === 4, `four held messages, got ${status.counts.held}`);
    ensure(
      status.oldestHeld?.id === a1.id && status.oldestHeld.error?.code === 'REAUTH_REQUIRED',
      'oldest held',
    );
    ensure(
      (await claimAll(store, 'w1', T0 + 1)).every((r) => r.accountId !== 'a'),
      'nothing of a held account is claimed',
    );
    ensure((await store.release('a', T0 + 2)) === 4, 'release reports four released messages');
    ensure((await store.accountStatus('a')).hold === undefined, 'the hold is gone');
    const after = await store.claim({
      owner: 'w1',
      now: T0 + 2,
      leaseMs: LEASE,
      limit: 10,
      perAccount: 10,
      busy: {},
    });
    ensure(
      ids(after).join() === [a1.id, a2.id, a3.id, late.id].join(),
      `released messages go in enqueue order, got ${ids(after)}`,
    );
  },

  'a deferral recorded while the account is held becomes held': async (store) => {
    const [a1, a2] = [newRecord('a'), newRecord('a')];
    await addAll(store, [a1, a2]);
    await claimAll(store, 'w1', T0);
    await store.settle(a1.id, 'w1', {
      state: 'held',
      attempt: attempt('held'),
      error: error('REAUTH_REQUIRED', 'user'),
    });
    await store.settle(a2.id, 'w1', {
      state: 'deferred',
      attempt: attempt('deferred'),
      notBefore: T0,
      countsAsAttempt: true,
      error: error('REAUTH_REQUIRED', 'user'),
    });
    ensure((await store.get(a2.id))?.state === 'held', 'an in-flight message of a held account ends held');
  },

  'an expired lease of a held account is held, not retried': async (store) => {
    const [a1, a2] = [newRecord('a'), newRecord('a')];
    await addAll(store, [a1, a2]);
    await claimAll(store, 'w1', T0);
    await store.settle(a1.id, 'w1', {
      state: 'held',
      attempt: attempt('held'),
      error: error('REAUTH_REQUIRED', 'user'),
    });
    ensure((await claimAll(store, 'w2', T0 + LEASE + 1)).length === 0, 'nothing is claimed');
    const got = await store.get(a2.id);
    ensure(got?.state === 'held', `the interrupted message is held, got ${got?.state}`);
    ensure(
      got.history.some((h) => h.outcome === 'interrupted'),
      'the interruption is recorded',
    );
  },

  'a paused account is not claimed until the pause ends': async (store) => {
    const [a1, b1] = [newRecord('a'), newRecord('b')];
    await addAll(store, [a1, b1]);
    await store.pause('a', T0 + 30_000);
    const late = newRecord('a', { enqueuedAt: T0 + 1 });
    await store.add(late);
    ensure(
      ids(await claimAll(store, 'w1', T0 + 29_999)).join() === b1.id,
      'only the other account is claimed',
    );
    ensure((await store.accountStatus('a')).pausedUntil === T0 + 30_000, 'the pause shows in the status');
    const after = await claimAll(store, 'w1', T0 + 30_000);
    ensure(ids(after).join() === [a1.id, late.id].join(), 'both are claimed, in order, once the pause ends');
  },

  'retry requeues failed and cancelled messages with a fresh attempt ceiling': async (store) => {
    const record = newRecord('a');
    await store.add(record);
    await claimAll(store, 'w1', T0);
    ensure((await store.retry(record.id, T0)) === 'busy', 'a message being sent is busy');
    await store.settle(record.id, 'w1', {
      state: 'failed',
      attempt: attempt('failed'),
      error: error('SMTP_MESSAGE_REJECTED', 'admin'),
    });
    ensure((await store.get(record.id))?.state === 'failed', 'the message failed');
    ensure((await store.retry(record.id, T0 + 100)) === 'ok', 'a failed message can be retried');
    const got = await store.get(record.id);
    ensure(got?.state === 'queued' && got.attempts === 0 && got.windowStart === T0 + 100, 'requeued, reset');
    ensure(got.history.length === 1, 'the history is kept');
    ensure((await store.retry('no-such-id', T0)) === 'unknown', 'an unknown id is reported');
  },

  'cancel removes a waiting message from delivery': async (store) => {
    const [a1, a2] = [newRecord('a'), newRecord('a')];
    await addAll(store, [a1, a2]);
    ensure((await store.cancel(a1.id, T0)) === 'ok', 'a queued message can be cancelled');
    ensure((await store.cancel(a1.id, T0)) === 'cancelled', 'cancelling twice reports cancelled');
    ensure(ids(await claimAll(store, 'w1', T0)).join() === a2.id, 'a cancelled message is never claimed');
    ensure((await store.cancel(a2.id, T0)) === 'busy', 'a message being sent cannot be cancelled');
    ensure((await store.accountStatus('a')).counts.cancelled === 1, 'the count shows it');
  },

  'takeSendSlot keeps every window under its limit and says when a slot frees': async (store) => {
    const limits = { messagesPerMinute: 2, recipientsPerDay: 5 };
    const take = (now: number, recipients = 1) =>
      store.takeSendSlot('a', { now, recipients, limits, id: `slot-${now}` });
    ensure((await take(T0)).granted, 'first send fits');
    ensure((await take(T0 + 10)).granted, 'second send fits');
    const third = await take(T0 + 20);
    ensure(!third.granted && third.retryAt === T0 + 60_000, `third waits for the first to leave the minute`);
    ensure((await take(T0 + 60_001, 2)).granted, 'after the minute there is room (4 recipients today)');
    const big = await take(T0 + 120_002, 2);
    ensure(!big.granted && big.retryAt === T0 + 86_400_000, 'the day allowance of 5 recipients is used up');
    ensure(
      (await store.takeSendSlot('b', { now: T0 + 20, recipients: 1, limits, id: 'x' })).granted,
      'per account',
    );
  },

  'list returns messages in enqueue order, filtered by account and state': async (store) => {
    const records = [newRecord('a'), newRecord('b'), newRecord('a')];
    await addAll(store, records);
    await store.cancel(records[2]?.id ?? '', T0);
    ensure(ids(await store.list()).join() === ids(records).join(), 'all, in order');
    ensure(
      ids(await store.list({ accountId: 'a', states: ['queued'] })).join() === records[0]?.id,
      'filtered',
    );
    ensure((await store.list({ limit: 2 })).length === 2, 'limited');
  },

  'concurrent claims never lease one message twice': async (store) => {
    const records = Array.from({ length: 40 }, (_, i) => newRecord(`acct-${i % 4}`));
    await addAll(store, records);
    const rounds = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store.claim({ owner: `w${i}`, now: T0, leaseMs: LEASE, limit: 10, perAccount: 10, busy: {} }),
      ),
    );
    const leased = rounds.flat().map((r) => r.id);
    ensure(new Set(leased).size === leased.length, 'a message was leased by two workers');
    ensure(leased.length === 40, `every message should be leased once, got ${leased.length}`);
  },
};

/**
 * Registers every check as one test. `factory` returns a fresh, empty store; the suite closes it.
 */
export function outboxStoreSuite(it: TestFunction, factory: () => OutboxStore | Promise<OutboxStore>): void {
  for (const [name, check] of Object.entries(outboxStoreChecks)) {
    it(`outbox store conformance: ${name}`, async () => {
      const store = await factory();
      try {
        await check(store);
      } finally {
        await store.close();
      }
    });
  }
}
