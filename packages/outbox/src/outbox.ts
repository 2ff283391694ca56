import { randomUUID } from 'node:crypto';
import {
  type AccountAccess,
  createRedactingLogger,
  type Disposable,
  Emitter,
  type KeepAliveReport,
  type MailAccount,
} from '@mailplug/core';
import { alreadySent, messageBusy, messageUnknown } from './errors.js';
import { createKeepAliveRunner } from './keep-alive.js';
import { assignMessageId, checkMessage, encodeMessage, recipientCount } from './message-codec.js';
import type { HostActionResult, OutboxRecord } from './outbox-store.js';
import { accountUnknown } from './preflight.js';
import { defaultSendingLimits } from './sending-limits.js';
import type { Outbox, OutboxEvent, OutboxMessageStatus, OutboxOptions, OutboxWorker } from './types.js';
import { startOutboxWorker } from './worker.js';

function toStatus(record: OutboxRecord): OutboxMessageStatus {
  return {
    id: record.id,
    accountId: record.accountId,
    state: record.state,
    messageId: record.messageId,
    subject: record.subject,
    recipients: record.recipients,
    enqueuedAt: record.enqueuedAt,
    notBefore: record.notBefore,
    attempts: record.attempts,
    history: record.history,
    ...(record.lastError ? { lastError: record.lastError } : {}),
    ...(record.sentAt !== undefined ? { sentAt: record.sentAt } : {}),
    ...(record.result ? { result: record.result } : {}),
  };
}

/**
 * A durable outbox in front of the mailer: `enqueue` checks and stores a message, workers deliver
 * it — retrying temporary failures with backoff, holding an account's mail while it needs a
 * sign-in (released by the sign-in), staying under per-mailbox sending limits — and record every
 * attempt.
 *
 * @example
 * const outbox = createOutbox({
 *   mailer,
 *   store: createSqliteOutboxStore({ path: 'data/mailplug-outbox.db' }),
 *   accounts: { get: (id) => accountsRepo.find(id) },
 *   keepAlive: { tokenStore, accounts: () => accountsRepo.all() },
 * });
 * outbox.startWorker({ concurrency: 4 });
 * const { id } = await outbox.enqueue({ account, actingUser: user.id, message: { to: 'client@example.com', subject: 'Invoice', text: 'Attached.' } });
 */
export function createOutbox(options: OutboxOptions): Outbox {
  const { mailer, store, accounts } = options;
  const clock = options.clock ?? Date.now;
  const logger = createRedactingLogger(options.logger);
  const events = new Emitter<OutboxEvent>();
  const keepAliveReports = new Emitter<KeepAliveReport>();
  const keepAlive = options.keepAlive
    ? createKeepAliveRunner(options.keepAlive, { mailer, clock, logger, reports: keepAliveReports })
    : undefined;
  const workers = new Set<OutboxWorker & { wake(): void }>();
  const watched = new Map<string, { session: unknown; subscription: Disposable }>();
  let disposed = false;

  const wakeWorkers = () => {
    for (const worker of workers) worker.wake();
  };

  async function releaseAccount(accountId: string, reason: 'signIn' | 'host'): Promise<number> {
    const count = await store.release(accountId, clock());
    if (count > 0) {
      logger.info('mailplug outbox: released the held messages of an account', { accountId, count, reason });
      events.fire({ type: 'released', accountId, count, reason });
      wakeWorkers();
    }
    return count;
  }

  /** A completed sign-in (`added`) or a working refresh (`changed`) means the account can send again. */
  async function watch(account: MailAccount, access: AccountAccess | undefined): Promise<void> {
    if (disposed) return;
    const session = await mailer.sessionFor(account, access);
    const current = watched.get(account.id);
    if (current?.session === session) return;
    current?.subscription.dispose();
    const subscription = session.onDidChangeSession((change) => {
      if (change.type !== 'added' && change.type !== 'changed') return;
      releaseAccount(account.id, 'signIn').catch((err) =>
        logger.warn('mailplug outbox: could not release the account after a sign-in', {
          accountId: account.id,
          error: String(err),
        }),
      );
    });
    watched.set(account.id, { session, subscription });
  }

  const toError = (result: HostActionResult, id: string) => {
    if (result === 'unknown') return messageUnknown(id);
    if (result === 'busy') return messageBusy(id);
    if (result === 'sent') return alreadySent(id);
    return undefined;
  };

  return {
    onDidChange: events.event,

    async enqueue({ account, actingUser, message, idempotencyKey }) {
      // The mailer's own checks (account valid, acting user allowed), as send applies them later.
      await mailer.preflight({ account, ...(actingUser !== undefined ? { actingUser } : {}) });
      checkMessage(message);
      if (!(await accounts.get(account.id))) throw accountUnknown(account.id, 'enqueue');
      // Binds the session (no network) so a sign-in releases a hold; a personal account's owner
      // passed preflight above.
      await watch(account, account.scope.kind === 'user' && actingUser ? { actingUser } : undefined);
      const assigned = assignMessageId(message, account);
      const id = randomUUID();
      const added = await store.add({
        id,
        accountId: account.id,
        ...(actingUser !== undefined ? { actingUser } : {}),
        payload: encodeMessage(assigned.message),
        messageId: assigned.messageId,
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
        subject: message.subject,
        recipients: recipientCount(message),
        enqueuedAt: clock(),
      });
      if (!added.created) {
        const existing = await store.get(added.id);
        return { id: added.id, messageId: existing?.messageId ?? assigned.messageId, created: false };
      }
      events.fire({ type: 'queued', id, accountId: account.id, messageId: assigned.messageId });
      wakeWorkers();
      return { id, messageId: assigned.messageId, created: true };
    },

    async get(id) {
      const record = await store.get(id);
      return record ? toStatus(record) : undefined;
    },

    async list(query) {
      return (await store.list(query)).map(toStatus);
    },

    accountStatus: (accountId) => store.accountStatus(accountId),

    async retry(id) {
      const error = toError(await store.retry(id, clock()), id);
      if (error) throw error;
      wakeWorkers();
    },

    release: (accountId) => releaseAccount(accountId, 'host'),

    async cancel(id) {
      const result = await store.cancel(id, clock());
      const error = result === 'cancelled' ? undefined : toError(result, id);
      if (error) throw error;
    },

    startWorker(workerOptions = {}) {
      const worker = startOutboxWorker(
        {
          mailer,
          store,
          accounts,
          clock,
          logger,
          events,
          retry: options.retry ?? {},
          quota: options.quota ?? {},
          limitsFor: (account) => {
            const defaults = defaultSendingLimits(account);
            return options.limits ? options.limits(account, defaults) : defaults;
          },
          watch,
        },
        workerOptions,
      );
      workers.add(worker);
      keepAlive?.start();
      return {
        id: worker.id,
        async stop() {
          workers.delete(worker);
          await worker.stop();
          if (workers.size === 0) await keepAlive?.stop();
        },
      };
    },

    keepAliveReport: () => keepAlive?.latest(),
    onDidKeepAlive: keepAliveReports.event,

    async dispose() {
      if (disposed) return;
      disposed = true;
      await Promise.all([...workers].map((w) => w.stop()));
      workers.clear();
      await keepAlive?.stop();
      keepAliveReports.dispose();
      for (const { subscription } of watched.values()) subscription.dispose();
      watched.clear();
      events.dispose();
    },
  };
}
