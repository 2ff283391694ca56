/**
 * The delivery loop: claims due messages under a lease, renews the lease while it sends, and
 * records each outcome. One attempt per claim; a worker that dies leaves leases that expire, and
 * any worker then takes those messages again.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { AccountAccess, Emitter, Logger, MailAccount, Mailer, MailplugError } from '@mailplug/core';
import { decide, type QuotaPolicy, type RetryPolicy } from './delivery-policy.js';
import { decodeMessage } from './message-codec.js';
import type {
  AttemptOutcome,
  AttemptRecord,
  MailboxLimits,
  OutboxRecord,
  OutboxStore,
  Settlement,
} from './outbox-store.js';
import { accountUnknown } from './preflight.js';
import type { AccountDirectory, OutboxEvent, OutboxWorker, WorkerOptions } from './types.js';

/** What a worker needs from the outbox that started it. */
export interface WorkerContext {
  readonly mailer: Mailer;
  readonly store: OutboxStore;
  readonly accounts: AccountDirectory;
  readonly clock: () => number;
  readonly logger: Logger;
  readonly events: Emitter<OutboxEvent>;
  readonly retry: RetryPolicy;
  readonly quota: QuotaPolicy;
  limitsFor(account: MailAccount): MailboxLimits;
  /** Subscribes to the account's session so a sign-in releases its hold. */
  watch(account: MailAccount, access: AccountAccess | undefined): Promise<void>;
}

const LIMIT_CODE = 'OUTBOX_SENDING_LIMIT';

const hasLimits = (limits: MailboxLimits) =>
  limits.messagesPerMinute !== undefined ||
  limits.messagesPerDay !== undefined ||
  limits.recipientsPerDay !== undefined;

export function startOutboxWorker(
  ctx: WorkerContext,
  options: WorkerOptions,
): OutboxWorker & { wake(): void } {
  const id = options.id ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const perMailbox = Math.max(1, options.concurrencyPerMailbox ?? 1);
  const leaseMs = Math.max(100, options.leaseMs ?? 30_000);
  const { store, clock, logger, events } = ctx;
  const inFlight = new Map<
    string,
    { readonly accountId: string; readonly abort: AbortController; done: Promise<void> }
  >();
  let stopping = false;
  let pumping = false;
  let pumpAgain = false;

  const poll = setInterval(() => void pump(), Math.max(10, options.pollMs ?? 1_000));
  const renew = setInterval(() => void renewLeases(), Math.max(30, Math.floor(leaseMs / 3)));

  async function renewLeases(): Promise<void> {
    const expiresAt = clock() + leaseMs;
    for (const messageId of [...inFlight.keys()]) {
      try {
        if (!(await store.extendLease(messageId, id, expiresAt))) {
          // Another worker owns the message now: stop this attempt if it has not finished.
          inFlight.get(messageId)?.abort.abort();
          logger.warn('mailplug outbox: a lease was lost while sending (the worker stalled past it)', {
            worker: id,
            id: messageId,
          });
        }
      } catch (err) {
        logger.warn('mailplug outbox: could not renew a lease', {
          worker: id,
          id: messageId,
          error: String(err),
        });
      }
    }
  }

  async function pump(): Promise<void> {
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        const free = concurrency - inFlight.size;
        if (stopping || free <= 0) return;
        const busy: Record<string, number> = {};
        for (const { accountId } of inFlight.values()) busy[accountId] = (busy[accountId] ?? 0) + 1;
        let claimed: OutboxRecord[];
        try {
          claimed = await store.claim({
            owner: id,
            now: clock(),
            leaseMs,
            limit: free,
            perAccount: perMailbox,
            busy,
          });
        } catch (err) {
          logger.warn('mailplug outbox: could not claim messages; will try again', {
            worker: id,
            error: String(err),
          });
          return;
        }
        for (const record of claimed) {
          const abort = new AbortController();
          const entry = { accountId: record.accountId, abort, done: Promise.resolve() };
          inFlight.set(record.id, entry);
          entry.done = deliver(record, abort.signal)
            .catch((err) =>
              logger.error('mailplug outbox: an attempt could not be recorded; its lease will expire', {
                worker: id,
                id: record.id,
                error: String(err),
              }),
            )
            .finally(() => {
              inFlight.delete(record.id);
              void pump();
            });
        }
        if (claimed.length > 0 && claimed.length === free) pumpAgain = true;
      } while (pumpAgain);
    } finally {
      pumping = false;
    }
  }

  async function settle(record: OutboxRecord, settlement: Settlement): Promise<boolean> {
    const recorded = await store.settle(record.id, id, settlement);
    if (!recorded) {
      logger.warn(
        'mailplug outbox: the outcome was not recorded because the lease had passed to another worker',
        {
          worker: id,
          id: record.id,
          outcome: settlement.state,
        },
      );
    }
    return recorded;
  }

  async function deliver(record: OutboxRecord, signal: AbortSignal): Promise<void> {
    const startedAt = clock();
    const attempt = (outcome: AttemptOutcome, error?: MailplugError, hint?: string): AttemptRecord => ({
      at: startedAt,
      endedAt: clock(),
      outcome,
      worker: id,
      ...(error ? { code: error.code, action: error.action, hint: error.hint, message: error.message } : {}),
      ...(hint ? { hint } : {}),
    });
    const account = await ctx.accounts.get(record.accountId);
    if (!account) {
      const error = accountUnknown(record.accountId, 'delivery');
      if (
        await settle(record, { state: 'failed', attempt: attempt('failed', error), error: error.toJSON() })
      ) {
        events.fire({ type: 'failed', id: record.id, accountId: record.accountId, error: error.toJSON() });
      }
      return;
    }
    // A personal account's message was checked against its owner at enqueue; a worker without one
    // acts as a background job.
    const access: AccountAccess | undefined =
      account.scope.kind !== 'user'
        ? undefined
        : record.actingUser
          ? { actingUser: record.actingUser }
          : { operation: 'admin' };
    await ctx.watch(account, access).catch(() => undefined);

    const limits = ctx.limitsFor(account);
    if (hasLimits(limits)) {
      const slot = await store.takeSendSlot(account.id, {
        now: startedAt,
        recipients: record.recipients,
        limits,
        id: record.id,
      });
      if (!slot.granted) {
        await store.pause(account.id, slot.retryAt);
        const limited: AttemptRecord = {
          ...attempt('limited'),
          code: LIMIT_CODE,
          hint: `The mailbox reached its sending limit; the message waits until ${new Date(slot.retryAt).toISOString()}.`,
        };
        const settled = await settle(record, {
          state: 'deferred',
          attempt: limited,
          notBefore: slot.retryAt,
          countsAsAttempt: false,
        });
        if (settled) {
          events.fire({
            type: 'deferred',
            id: record.id,
            accountId: account.id,
            reason: 'limit',
            until: slot.retryAt,
          });
        }
        return;
      }
    }

    let failure: unknown;
    try {
      const result = await ctx.mailer.send({
        account,
        ...(record.actingUser !== undefined ? { actingUser: record.actingUser } : {}),
        message: decodeMessage(record.payload),
        signal,
      });
      const sent = await settle(record, {
        state: 'sent',
        attempt: attempt('sent'),
        sentAt: clock(),
        result: {
          accepted: result.accepted,
          rejected: result.rejected,
          ...(result.response !== undefined ? { response: result.response } : {}),
        },
      });
      if (sent) {
        events.fire({
          type: 'sent',
          id: record.id,
          accountId: account.id,
          messageId: record.messageId,
          attempts: record.attempts,
        });
      }
      return;
    } catch (err) {
      failure = err;
    }
    await recordFailure(record, account, failure, attempt);
  }

  async function recordFailure(
    record: OutboxRecord,
    account: MailAccount,
    failure: unknown,
    attempt: (outcome: AttemptOutcome, error?: MailplugError) => AttemptRecord,
  ): Promise<void> {
    const now = clock();
    const decision = decide({
      error: failure,
      attempts: record.attempts,
      windowStart: record.windowStart,
      now,
      retry: ctx.retry,
      quota: ctx.quota,
    });
    const error = decision.error.toJSON();
    const base = { id: record.id, accountId: account.id };
    switch (decision.kind) {
      case 'hold':
        if (await settle(record, { state: 'held', attempt: attempt('held', decision.error), error })) {
          logger.warn('mailplug outbox: holding the account until it is signed in again', {
            accountId: account.id,
            code: error.code,
          });
          events.fire({ type: 'held', ...base, error });
        }
        return;
      case 'quota':
        await store.pause(account.id, decision.pauseUntil);
        if (
          await settle(record, {
            state: 'deferred',
            attempt: attempt('deferred', decision.error),
            notBefore: decision.pauseUntil,
            countsAsAttempt: false,
            error,
          })
        ) {
          events.fire({ type: 'deferred', ...base, reason: 'quota', until: decision.pauseUntil, error });
        }
        return;
      case 'retry':
        if (
          await settle(record, {
            state: 'deferred',
            attempt: attempt('deferred', decision.error),
            notBefore: decision.notBefore,
            countsAsAttempt: true,
            error,
          })
        ) {
          events.fire({ type: 'deferred', ...base, reason: 'retry', until: decision.notBefore, error });
        }
        return;
      case 'fail':
        if (await settle(record, { state: 'failed', attempt: attempt('failed', decision.error), error })) {
          events.fire({ type: 'failed', ...base, error });
        }
        return;
    }
  }

  void pump();

  return {
    id,
    wake() {
      void pump();
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(poll);
      // Leases are renewed until the last attempt in flight is recorded.
      await Promise.all([...inFlight.values()].map((f) => f.done));
      clearInterval(renew);
    },
  };
}
