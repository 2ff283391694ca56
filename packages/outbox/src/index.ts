/**
 * @mailplug/outbox — durable delivery for Mailplug: enqueue, workers with backoff, holds while a
 * mailbox needs sign-in, per-mailbox sending limits. SQLite embedded, Redis for fleets.
 */
export type { QuotaPolicy, RetryPolicy } from './delivery-policy.js';
export { OutboxErrorCode } from './errors.js';
export { DEFAULT_KEEP_ALIVE_INTERVAL_MS, type OutboxKeepAliveOptions } from './keep-alive.js';
export { createOutbox } from './outbox.js';
export {
  type AccountHold,
  type AccountStatus,
  type AttemptOutcome,
  type AttemptRecord,
  type ClaimRequest,
  type DeliveryResult,
  type HostActionResult,
  type ListQuery,
  type MailboxLimits,
  type NewOutboxRecord,
  OUTBOX_STATES,
  type OutboxRecord,
  type OutboxState,
  type OutboxStore,
  type SendSlot,
  type SendSlotRequest,
  type Settlement,
} from './outbox-store.js';
export { createRedisOutboxStore, type RedisOutboxStoreOptions } from './redis-store.js';
export {
  defaultSendingLimits,
  EXCHANGE_ONLINE_LIMITS,
  GMAIL_LIMITS,
  GOOGLE_WORKSPACE_LIMITS,
} from './sending-limits.js';
export { createSqliteOutboxStore, type SqliteOutboxStoreOptions } from './sqlite-store.js';
export type {
  AccountDirectory,
  EnqueueRequest,
  EnqueueResult,
  Outbox,
  OutboxEvent,
  OutboxMessageStatus,
  OutboxOptions,
  OutboxWorker,
  WorkerOptions,
} from './types.js';
