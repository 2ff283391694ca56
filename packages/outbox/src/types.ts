import type {
  Disposable,
  Event,
  KeepAliveReport,
  Logger,
  MailAccount,
  Mailer,
  MailplugErrorJSON,
  OutgoingMessage,
} from '@mailplug/core';
import type { QuotaPolicy, RetryPolicy } from './delivery-policy.js';
import type { OutboxKeepAliveOptions } from './keep-alive.js';
import type {
  AccountStatus,
  AttemptRecord,
  DeliveryResult,
  ListQuery,
  MailboxLimits,
  OutboxState,
  OutboxStore,
} from './outbox-store.js';

/** Where workers find an account by id when they deliver (a `Map` works). */
export interface AccountDirectory {
  get(accountId: string): MailAccount | undefined | Promise<MailAccount | undefined>;
}

export interface OutboxOptions {
  /** Delivers every attempt; its registry, secrets, token store, permissions and footer apply. */
  readonly mailer: Mailer;
  readonly store: OutboxStore;
  readonly accounts: AccountDirectory;
  /**
   * Runs core's keep-alive scheduler inside the workers: it starts with the first worker (one run
   * at once, then every `intervalMs`, default 6 hours) and stops with the last. Leave it out in
   * processes that run no worker, or when the host runs `createKeepAlive` itself.
   */
  readonly keepAlive?: OutboxKeepAliveOptions;
  /**
   * Per-mailbox sending limits. Receives the provider defaults ({@link defaultSendingLimits}) and
   * returns the limits to apply; return `{}` for none.
   */
  readonly limits?: (account: MailAccount, defaults: MailboxLimits) => MailboxLimits;
  readonly retry?: RetryPolicy;
  readonly quota?: QuotaPolicy;
  /** Epoch milliseconds; for tests. */
  readonly clock?: () => number;
  readonly logger?: Partial<Logger>;
}

export interface EnqueueRequest {
  readonly account: MailAccount;
  /** The host user on whose behalf the message goes out; may be omitted for `system` accounts. */
  readonly actingUser?: string;
  readonly message: OutgoingMessage;
  /** The same key for the same account yields one message, however often it is enqueued. */
  readonly idempotencyKey?: string;
}

export interface EnqueueResult {
  readonly id: string;
  /** The Message-ID every attempt sends (`<…@…>`). */
  readonly messageId: string;
  /** False when the idempotency key matched an earlier message (whose id is returned). */
  readonly created: boolean;
}

/** A message as the host sees it (without its body). */
export interface OutboxMessageStatus {
  readonly id: string;
  readonly accountId: string;
  readonly state: OutboxState;
  readonly messageId: string;
  readonly subject: string;
  readonly recipients: number;
  readonly enqueuedAt: number;
  /** When a `queued` or `deferred` message is due. */
  readonly notBefore: number;
  readonly attempts: number;
  readonly history: readonly AttemptRecord[];
  readonly lastError?: MailplugErrorJSON;
  readonly sentAt?: number;
  readonly result?: DeliveryResult;
}

/** What the outbox reports to host listeners (in the process where it happened). */
export type OutboxEvent =
  | { readonly type: 'queued'; readonly id: string; readonly accountId: string; readonly messageId: string }
  | {
      readonly type: 'sent';
      readonly id: string;
      readonly accountId: string;
      readonly messageId: string;
      readonly attempts: number;
    }
  | {
      readonly type: 'deferred';
      readonly id: string;
      readonly accountId: string;
      /** `retry`: a temporary failure; `limit`: a sending limit; `quota`: the server's quota reply. */
      readonly reason: 'retry' | 'limit' | 'quota';
      readonly until: number;
      readonly error?: MailplugErrorJSON;
    }
  | {
      readonly type: 'held';
      readonly id: string;
      readonly accountId: string;
      /** Why, with the hint to show (usually: sign in again). */
      readonly error: MailplugErrorJSON;
    }
  | {
      readonly type: 'released';
      readonly accountId: string;
      readonly count: number;
      /** `signIn`: the account's session reported a sign-in or a working refresh; `host`: outbox.release. */
      readonly reason: 'signIn' | 'host';
    }
  | {
      readonly type: 'failed';
      readonly id: string;
      readonly accountId: string;
      readonly error: MailplugErrorJSON;
    };

export interface WorkerOptions {
  /** Messages in flight at once. Default 4. */
  readonly concurrency?: number | undefined;
  /** Messages of one mailbox in flight at once in this worker. Default 1, which keeps each mailbox's messages in enqueue order. */
  readonly concurrencyPerMailbox?: number | undefined;
  /** How long a claimed message stays leased without renewal (ms). Default 30,000; renewed every third. */
  readonly leaseMs?: number | undefined;
  /** How often the worker looks for due messages when nothing wakes it (ms). Default 1,000. */
  readonly pollMs?: number | undefined;
  /** Recorded in attempt history. Default `<hostname>:<pid>:<random>`. */
  readonly id?: string | undefined;
}

export interface OutboxWorker {
  readonly id: string;
  /** Stops claiming, waits for the attempts in flight to be recorded. */
  stop(): Promise<void>;
}

export interface Outbox extends Disposable {
  /**
   * Runs the mailer's send checks (`mailer.preflight`: the account is valid, the acting user may
   * send from it), checks the message, assigns the Message-ID and stores the message durably;
   * only then resolves. A refused message is never
   * stored: the call throws the MailplugError.
   */
  enqueue(request: EnqueueRequest): Promise<EnqueueResult>;
  get(id: string): Promise<OutboxMessageStatus | undefined>;
  list(query?: ListQuery): Promise<OutboxMessageStatus[]>;
  /** Counts by state, the hold (since when, why) and the oldest held message. */
  accountStatus(accountId: string): Promise<AccountStatus>;
  /** Sends a failed, held, deferred or cancelled message again now (a fresh attempt ceiling). */
  retry(id: string): Promise<void>;
  /** Releases the account's hold (without waiting for a sign-in). Returns how many messages were released. */
  release(accountId: string): Promise<number>;
  cancel(id: string): Promise<void>;
  /**
   * Starts a delivery loop in this process. Several workers, here or elsewhere, may share a store.
   * The first worker also starts the keep-alive scheduler (`keepAlive` option); the last one to
   * stop stops it.
   */
  startWorker(options?: WorkerOptions): OutboxWorker;
  readonly onDidChange: Event<OutboxEvent>;
  /** The latest keep-alive run's report (which accounts were kept alive, which failed and why). */
  keepAliveReport(): KeepAliveReport | undefined;
  /** Fired after each keep-alive run in this process. */
  readonly onDidKeepAlive: Event<KeepAliveReport>;
  /** Stops this outbox's workers, its keep-alive scheduler and session subscriptions (the store stays open: close it yourself). */
  dispose(): Promise<void>;
}
