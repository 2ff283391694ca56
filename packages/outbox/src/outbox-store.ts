/**
 * The storage contract behind an outbox. A store keeps messages durably and performs each state
 * change atomically (one SQLite transaction, one Redis Lua script), so several workers — in one
 * process or many — can share it: a message is leased by one worker at a time, and a lease that
 * is not renewed (the worker died) expires and the message is claimed again.
 *
 * Stores know nothing about mail: the message body is an opaque `payload` string.
 */
import type { ErrorAction, MailplugErrorJSON, RecipientRejection } from '@mailplug/core';

/**
 * Where a message is in its life.
 * - `queued`: waiting for a worker (due at `notBefore`).
 * - `sending`: leased by a worker that is delivering it now.
 * - `deferred`: an attempt failed transiently, or a sending limit was reached; due again at `notBefore`.
 * - `held`: its account needs a sign-in; nothing is attempted until the hold is released.
 * - `sent`: the server accepted it (final reply 250).
 * - `failed`: permanently refused or retries exhausted; `lastError` says why and who must act.
 * - `cancelled`: the host cancelled it.
 */
export type OutboxState = 'queued' | 'sending' | 'deferred' | 'held' | 'sent' | 'failed' | 'cancelled';

export const OUTBOX_STATES: readonly OutboxState[] = [
  'queued',
  'sending',
  'deferred',
  'held',
  'sent',
  'failed',
  'cancelled',
];

/** What happened in one attempt. `interrupted`: the worker's lease expired mid-attempt (it died). */
export type AttemptOutcome = 'sent' | 'deferred' | 'held' | 'failed' | 'interrupted' | 'limited';

/** One line of a message's attempt history. Never holds secrets: only codes, hints and redacted text. */
export interface AttemptRecord {
  /** When the attempt started (epoch ms). */
  readonly at: number;
  /** When its outcome was recorded. */
  readonly endedAt: number;
  readonly outcome: AttemptOutcome;
  /** The worker that made the attempt. */
  readonly worker: string;
  readonly code?: string;
  readonly action?: ErrorAction;
  readonly hint?: string;
  readonly message?: string;
}

/** The server's answer for a sent message. */
export interface DeliveryResult {
  readonly accepted: readonly string[];
  readonly rejected: readonly RecipientRejection[];
  readonly response?: string;
}

/** What the outbox hands a store to keep. */
export interface NewOutboxRecord {
  readonly id: string;
  readonly accountId: string;
  readonly actingUser?: string;
  /** The serialized message (opaque to the store). */
  readonly payload: string;
  /** The RFC 5322 Message-ID every attempt sends. */
  readonly messageId: string;
  /** Deduplicates per account: a second add with the same key returns the first message. */
  readonly idempotencyKey?: string;
  readonly subject: string;
  readonly recipients: number;
  readonly enqueuedAt: number;
}

export interface OutboxRecord extends NewOutboxRecord {
  readonly state: OutboxState;
  /** Store-wide enqueue order; workers take messages in this order. */
  readonly seq: number;
  readonly notBefore: number;
  /** Attempts counted against the ceiling since enqueue or the last manual retry. */
  readonly attempts: number;
  /** The age ceiling is measured from here (enqueue, or the last manual retry). */
  readonly windowStart: number;
  readonly leaseOwner?: string;
  readonly leasedAt?: number;
  readonly leaseExpiresAt?: number;
  readonly lastError?: MailplugErrorJSON;
  readonly sentAt?: number;
  readonly result?: DeliveryResult;
  readonly history: readonly AttemptRecord[];
}

export interface ClaimRequest {
  /** The worker taking the lease. */
  readonly owner: string;
  readonly now: number;
  readonly leaseMs: number;
  /** At most this many messages. */
  readonly limit: number;
  /** At most this many leased messages per account for this owner, counting `busy`. */
  readonly perAccount: number;
  /** The owner's messages already in flight, by account. */
  readonly busy: Readonly<Record<string, number>>;
}

/** The outcome of an attempt, recorded by the lease owner. */
export type Settlement =
  | {
      readonly state: 'sent';
      readonly attempt: AttemptRecord;
      readonly sentAt: number;
      readonly result: DeliveryResult;
    }
  | {
      /** Due again at `notBefore`. Becomes `held` instead when the account is held meanwhile. */
      readonly state: 'deferred';
      readonly attempt: AttemptRecord;
      readonly notBefore: number;
      /** False for a sending-limit deferral, which does not count against the attempt ceiling. */
      readonly countsAsAttempt: boolean;
      readonly error?: MailplugErrorJSON;
    }
  | {
      /** Holds this message and every waiting message of its account until `release`. */
      readonly state: 'held';
      readonly attempt: AttemptRecord;
      readonly error: MailplugErrorJSON;
    }
  | {
      readonly state: 'failed';
      readonly attempt: AttemptRecord;
      readonly error: MailplugErrorJSON;
    };

/** Per-mailbox sending limits (each optional; unset means unlimited). */
export interface MailboxLimits {
  /** Messages in any 60-second window. */
  readonly messagesPerMinute?: number;
  /** Messages in any rolling 24 hours. */
  readonly messagesPerDay?: number;
  /** Recipients (to + cc + bcc) in any rolling 24 hours. */
  readonly recipientsPerDay?: number;
}

export interface SendSlotRequest {
  readonly now: number;
  readonly recipients: number;
  readonly limits: MailboxLimits;
  /** The message taking the slot (kept with the slot for inspection). */
  readonly id: string;
}

export type SendSlot = { readonly granted: true } | { readonly granted: false; readonly retryAt: number };

/** Why an account is held, and since when. */
export interface AccountHold {
  readonly since: number;
  readonly error: MailplugErrorJSON;
  /** The message whose attempt caused the hold. */
  readonly causedBy: string;
}

export interface AccountStatus {
  readonly accountId: string;
  readonly counts: Readonly<Record<OutboxState, number>>;
  readonly hold?: AccountHold;
  /** No message of the account is claimed before this (a sending limit or a server quota). */
  readonly pausedUntil?: number;
  /** The oldest held message (lowest seq) and why it is held. */
  readonly oldestHeld?: {
    readonly id: string;
    readonly enqueuedAt: number;
    readonly error?: MailplugErrorJSON;
  };
}

export interface ListQuery {
  readonly accountId?: string;
  readonly states?: readonly OutboxState[];
  /** Default 100. */
  readonly limit?: number;
}

/** Result of a host action on one message. `unknown`: no such id; `busy`: a worker holds it now. */
export type HostActionResult = 'ok' | 'unknown' | 'busy' | 'sent' | 'cancelled';

export interface OutboxStore {
  /** Stores a new message (state `held` when its account is held; due no earlier than a pause ends). */
  add(record: NewOutboxRecord): Promise<{ readonly id: string; readonly created: boolean }>;
  get(id: string): Promise<OutboxRecord | undefined>;
  /** Messages in enqueue order. */
  list(query?: ListQuery): Promise<OutboxRecord[]>;
  /**
   * Leases due messages in enqueue order: `queued`/`deferred` ones whose `notBefore` has passed,
   * and `sending` ones whose lease expired — those get an `interrupted` attempt (it counts) and
   * go to `held` instead when their account is held.
   */
  claim(request: ClaimRequest): Promise<OutboxRecord[]>;
  /** Extends the lease while the owner still holds it; false when it was lost. */
  extendLease(id: string, owner: string, expiresAt: number): Promise<boolean>;
  /** Records an attempt's outcome if `owner` still holds the lease; false otherwise (nothing changes). */
  settle(id: string, owner: string, settlement: Settlement): Promise<boolean>;
  /** Ends the account's hold: its held messages become `queued`, due `now`. Returns how many. */
  release(accountId: string, now: number): Promise<number>;
  /** No message of the account is claimed before `until` (later pauses win). */
  pause(accountId: string, until: number): Promise<void>;
  /** `failed`, `held`, `deferred`, `queued` or `cancelled` → `queued` due `now`, attempt ceiling reset. */
  retry(id: string, now: number): Promise<HostActionResult>;
  /** Any state but `sent` and `sending` → `cancelled`. */
  cancel(id: string, now: number): Promise<HostActionResult>;
  /** Atomically checks the account's sending limits and, when they allow it, records one send. */
  takeSendSlot(accountId: string, request: SendSlotRequest): Promise<SendSlot>;
  accountStatus(accountId: string): Promise<AccountStatus>;
  close(): Promise<void>;
}
