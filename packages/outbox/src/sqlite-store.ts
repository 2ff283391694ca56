import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { storeUnavailable } from './errors.js';
import type {
  AccountHold,
  AccountStatus,
  AttemptRecord,
  ClaimRequest,
  HostActionResult,
  ListQuery,
  NewOutboxRecord,
  OutboxRecord,
  OutboxState,
  OutboxStore,
  SendSlot,
  SendSlotRequest,
  Settlement,
} from './outbox-store.js';
import { emptyCounts, interruptedAttempt, slotDecision } from './store-rules.js';

export interface SqliteOutboxStoreOptions {
  /** The database file (created with its directory). `:memory:` for a throw-away store. */
  readonly path: string;
  /** How long a writer waits for another process's transaction (ms). Default 5,000. */
  readonly busyTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox_messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL,
  acting_user TEXT,
  payload TEXT NOT NULL,
  message_id TEXT NOT NULL,
  idempotency_key TEXT,
  subject TEXT NOT NULL,
  recipients INTEGER NOT NULL,
  enqueued_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  not_before INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  window_start INTEGER NOT NULL,
  lease_owner TEXT,
  leased_at INTEGER,
  lease_expires_at INTEGER,
  last_error TEXT,
  sent_at INTEGER,
  result TEXT,
  history TEXT NOT NULL DEFAULT '[]'
);
CREATE UNIQUE INDEX IF NOT EXISTS outbox_idempotency ON outbox_messages(account_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS outbox_due ON outbox_messages(seq) WHERE state IN ('queued', 'deferred');
CREATE INDEX IF NOT EXISTS outbox_leases ON outbox_messages(lease_expires_at) WHERE state = 'sending';
CREATE INDEX IF NOT EXISTS outbox_by_account ON outbox_messages(account_id, state, seq);
CREATE TABLE IF NOT EXISTS outbox_accounts (
  account_id TEXT PRIMARY KEY,
  hold TEXT,
  paused_until INTEGER
);
CREATE TABLE IF NOT EXISTS outbox_sends (
  account_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  recipients INTEGER NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_sends_window ON outbox_sends(account_id, at);
`;

interface Row {
  seq: number;
  id: string;
  account_id: string;
  acting_user: string | null;
  payload: string;
  message_id: string;
  idempotency_key: string | null;
  subject: string;
  recipients: number;
  enqueued_at: number;
  state: OutboxState;
  not_before: number;
  attempts: number;
  window_start: number;
  lease_owner: string | null;
  leased_at: number | null;
  lease_expires_at: number | null;
  last_error: string | null;
  sent_at: number | null;
  result: string | null;
  history: string;
}

interface AccountRow {
  account_id: string;
  hold: string | null;
  paused_until: number | null;
}

function toRecord(row: Row): OutboxRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    ...(row.acting_user !== null ? { actingUser: row.acting_user } : {}),
    payload: row.payload,
    messageId: row.message_id,
    ...(row.idempotency_key !== null ? { idempotencyKey: row.idempotency_key } : {}),
    subject: row.subject,
    recipients: row.recipients,
    enqueuedAt: row.enqueued_at,
    state: row.state,
    seq: row.seq,
    notBefore: row.not_before,
    attempts: row.attempts,
    windowStart: row.window_start,
    ...(row.lease_owner !== null ? { leaseOwner: row.lease_owner } : {}),
    ...(row.leased_at !== null ? { leasedAt: row.leased_at } : {}),
    ...(row.lease_expires_at !== null ? { leaseExpiresAt: row.lease_expires_at } : {}),
    ...(row.last_error !== null ? { lastError: JSON.parse(row.last_error) } : {}),
    ...(row.sent_at !== null ? { sentAt: row.sent_at } : {}),
    ...(row.result !== null ? { result: JSON.parse(row.result) } : {}),
    history: JSON.parse(row.history) as AttemptRecord[],
  };
}

const appendHistory = (history: string, attempt: AttemptRecord) =>
  JSON.stringify([...(JSON.parse(history) as AttemptRecord[]), attempt]);

/**
 * The embedded outbox store: one SQLite file in WAL mode through better-sqlite3 (12.x — 13 needs
 * Node 22). Every change is one transaction, so a process killed at any point leaves either the
 * state before or after it. Several processes may share the file (SQLite locks it); for several
 * machines use the Redis store.
 *
 * @example
 * const store = createSqliteOutboxStore({ path: '/var/lib/myhost/mailplug-outbox.db' });
 * const outbox = createOutbox({ mailer, store, accounts });
 */
export function createSqliteOutboxStore(options: SqliteOutboxStoreOptions): OutboxStore {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5_000 });
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit survives a process crash; only an OS crash or power loss can
    // roll back the last transactions, and never corrupts the file.
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
  } catch (err) {
    throw storeUnavailable('SQLite', err);
  }

  const q = {
    byId: db.prepare<[string], Row>('SELECT * FROM outbox_messages WHERE id = ?'),
    byKey: db.prepare<[string, string], Row>(
      'SELECT * FROM outbox_messages WHERE account_id = ? AND idempotency_key = ?',
    ),
    account: db.prepare<[string], AccountRow>('SELECT * FROM outbox_accounts WHERE account_id = ?'),
    insert: db.prepare(
      `INSERT INTO outbox_messages (id, account_id, acting_user, payload, message_id, idempotency_key, subject,
         recipients, enqueued_at, state, not_before, window_start)
       VALUES (@id, @accountId, @actingUser, @payload, @messageId, @idempotencyKey, @subject, @recipients,
         @enqueuedAt, @state, @notBefore, @enqueuedAt)`,
    ),
    due: db.prepare<{ now: number; scan: number }, Row>(
      `SELECT * FROM outbox_messages WHERE state IN ('queued', 'deferred') AND not_before <= @now
       ORDER BY seq LIMIT @scan`,
    ),
    expired: db.prepare<{ now: number; scan: number }, Row>(
      `SELECT * FROM outbox_messages WHERE state = 'sending' AND lease_expires_at <= @now
       ORDER BY seq LIMIT @scan`,
    ),
    lease: db.prepare(
      `UPDATE outbox_messages SET state = 'sending', lease_owner = @owner, leased_at = @now,
         lease_expires_at = @expires, attempts = @attempts, history = @history WHERE id = @id`,
    ),
    holdInterrupted: db.prepare(
      `UPDATE outbox_messages SET state = 'held', lease_owner = NULL, leased_at = NULL, lease_expires_at = NULL,
         attempts = @attempts, history = @history WHERE id = @id`,
    ),
    extend: db.prepare(
      `UPDATE outbox_messages SET lease_expires_at = @expires
       WHERE id = @id AND state = 'sending' AND lease_owner = @owner`,
    ),
    settle: db.prepare(
      `UPDATE outbox_messages SET state = @state, not_before = @notBefore, attempts = @attempts,
         lease_owner = NULL, leased_at = NULL, lease_expires_at = NULL, last_error = @lastError,
         sent_at = @sentAt, result = @result, history = @history
       WHERE id = @id AND state = 'sending' AND lease_owner = @owner`,
    ),
    holdAccountMessages: db.prepare(
      `UPDATE outbox_messages SET state = 'held' WHERE account_id = ? AND state IN ('queued', 'deferred')`,
    ),
    setHold: db.prepare(
      `INSERT INTO outbox_accounts (account_id, hold) VALUES (@accountId, @hold)
       ON CONFLICT(account_id) DO UPDATE SET hold = COALESCE(outbox_accounts.hold, excluded.hold)`,
    ),
    releaseMessages: db.prepare(
      `UPDATE outbox_messages SET state = 'queued', not_before = MAX(@now, @pausedUntil)
       WHERE account_id = @accountId AND state = 'held'`,
    ),
    clearHold: db.prepare('UPDATE outbox_accounts SET hold = NULL WHERE account_id = ?'),
    setPause: db.prepare(
      `INSERT INTO outbox_accounts (account_id, paused_until) VALUES (@accountId, @until)
       ON CONFLICT(account_id) DO UPDATE SET paused_until = MAX(COALESCE(outbox_accounts.paused_until, 0), excluded.paused_until)`,
    ),
    pauseMessages: db.prepare(
      `UPDATE outbox_messages SET not_before = MAX(not_before, @until)
       WHERE account_id = @accountId AND state IN ('queued', 'deferred')`,
    ),
    requeue: db.prepare(
      `UPDATE outbox_messages SET state = 'queued', not_before = MAX(@now, @pausedUntil), attempts = 0,
         window_start = @now WHERE id = @id`,
    ),
    requeueHeld: db.prepare(
      `UPDATE outbox_messages SET state = 'held', attempts = 0, window_start = @now WHERE id = @id`,
    ),
    cancel: db.prepare(`UPDATE outbox_messages SET state = 'cancelled' WHERE id = ?`),
    sendsSince: db.prepare<[string, number], { at: number; recipients: number }>(
      'SELECT at, recipients FROM outbox_sends WHERE account_id = ? AND at > ? ORDER BY at',
    ),
    recordSend: db.prepare(
      'INSERT INTO outbox_sends (account_id, at, recipients, message) VALUES (?, ?, ?, ?)',
    ),
    pruneSends: db.prepare('DELETE FROM outbox_sends WHERE account_id = ? AND at <= ?'),
    counts: db.prepare<[string], { state: OutboxState; n: number }>(
      'SELECT state, COUNT(*) AS n FROM outbox_messages WHERE account_id = ? GROUP BY state',
    ),
    oldestHeld: db.prepare<[string], Row>(
      `SELECT * FROM outbox_messages WHERE account_id = ? AND state = 'held' ORDER BY seq LIMIT 1`,
    ),
  };

  const pausedUntil = (accountId: string): number => q.account.get(accountId)?.paused_until ?? 0;
  const isHeld = (accountId: string): boolean => Boolean(q.account.get(accountId)?.hold);

  // IMMEDIATE: take the write lock up front, so two processes never both read the same due row.
  const add = db.transaction((record: NewOutboxRecord): { id: string; created: boolean } => {
    if (record.idempotencyKey !== undefined) {
      const existing = q.byKey.get(record.accountId, record.idempotencyKey);
      if (existing) return { id: existing.id, created: false };
    }
    q.insert.run({
      ...record,
      actingUser: record.actingUser ?? null,
      idempotencyKey: record.idempotencyKey ?? null,
      state: isHeld(record.accountId) ? 'held' : 'queued',
      notBefore: Math.max(record.enqueuedAt, pausedUntil(record.accountId)),
    });
    return { id: record.id, created: true };
  });

  const claim = db.transaction((request: ClaimRequest): OutboxRecord[] => {
    const scan = Math.max(64, request.limit * 8);
    const rows = [
      ...q.expired.all({ now: request.now, scan }),
      ...q.due.all({ now: request.now, scan }),
    ].sort((a, b) => a.seq - b.seq);
    const taken: OutboxRecord[] = [];
    const perAccount = new Map<string, number>(Object.entries(request.busy));
    for (const row of rows) {
      if (taken.length >= request.limit) break;
      let { attempts, history } = row;
      if (row.state === 'sending') {
        // The previous worker's lease ran out mid-attempt (counted when it was leased): record it,
        // it may have reached the server.
        history = appendHistory(history, interruptedAttempt(row.lease_owner, row.leased_at, request.now));
        if (isHeld(row.account_id)) {
          q.holdInterrupted.run({ id: row.id, attempts, history });
          continue;
        }
      }
      const inFlight = perAccount.get(row.account_id) ?? 0;
      if (inFlight >= request.perAccount || pausedUntil(row.account_id) > request.now) {
        if (row.state === 'sending') {
          q.settle.run({
            ...settleColumns(row, 'deferred', request.now, attempts, history),
            owner: row.lease_owner,
          });
        }
        continue;
      }
      perAccount.set(row.account_id, inFlight + 1);
      attempts += 1;
      const expires = request.now + request.leaseMs;
      q.lease.run({ id: row.id, owner: request.owner, now: request.now, expires, attempts, history });
      taken.push(
        toRecord({
          ...row,
          state: 'sending',
          lease_owner: request.owner,
          leased_at: request.now,
          lease_expires_at: expires,
          attempts,
          history,
        }),
      );
    }
    return taken;
  });

  const settle = db.transaction((id: string, owner: string, s: Settlement): boolean => {
    const row = q.byId.get(id);
    if (row?.state !== 'sending' || row.lease_owner !== owner) return false;
    const history = appendHistory(row.history, s.attempt);
    let state: OutboxState = s.state;
    let attempts = row.attempts;
    let notBefore = row.not_before;
    if (s.state === 'deferred') {
      if (!s.countsAsAttempt) attempts = Math.max(0, attempts - 1);
      notBefore = Math.max(s.notBefore, pausedUntil(row.account_id));
      if (isHeld(row.account_id)) state = 'held';
    }
    if (s.state === 'held') {
      const hold: AccountHold = { since: s.attempt.endedAt, error: s.error, causedBy: id };
      q.setHold.run({ accountId: row.account_id, hold: JSON.stringify(hold) });
      q.holdAccountMessages.run(row.account_id);
    }
    q.settle.run({
      id,
      owner,
      state,
      notBefore,
      attempts,
      lastError: 'error' in s && s.error ? JSON.stringify(s.error) : row.last_error,
      sentAt: s.state === 'sent' ? s.sentAt : null,
      result: s.state === 'sent' ? JSON.stringify(s.result) : null,
      history,
    });
    return true;
  });

  const release = db.transaction((accountId: string, now: number): number => {
    q.clearHold.run(accountId);
    return q.releaseMessages.run({ accountId, now, pausedUntil: pausedUntil(accountId) }).changes;
  });

  const pause = db.transaction((accountId: string, until: number): void => {
    q.setPause.run({ accountId, until });
    q.pauseMessages.run({ accountId, until });
  });

  const retry = db.transaction((id: string, now: number): HostActionResult => {
    const row = q.byId.get(id);
    if (!row) return 'unknown';
    if (row.state === 'sent') return 'sent';
    if (row.state === 'sending') return 'busy';
    // A held account stays held: the message waits with the others for the sign-in.
    if (isHeld(row.account_id)) q.requeueHeld.run({ id, now });
    else q.requeue.run({ id, now, pausedUntil: pausedUntil(row.account_id) });
    return 'ok';
  });

  const cancel = db.transaction((id: string): HostActionResult => {
    const row = q.byId.get(id);
    if (!row) return 'unknown';
    if (row.state === 'sent') return 'sent';
    if (row.state === 'sending') return 'busy';
    if (row.state === 'cancelled') return 'cancelled';
    q.cancel.run(id);
    return 'ok';
  });

  const takeSendSlot = db.transaction((accountId: string, request: SendSlotRequest): SendSlot => {
    const dayAgo = request.now - 86_400_000;
    q.pruneSends.run(accountId, dayAgo);
    const decision = slotDecision(q.sendsSince.all(accountId, dayAgo), request);
    if (decision.granted) q.recordSend.run(accountId, request.now, request.recipients, request.id);
    return decision;
  });

  const accountStatus = db.transaction((accountId: string): AccountStatus => {
    const counts = emptyCounts();
    for (const { state, n } of q.counts.all(accountId)) counts[state] = n;
    const account = q.account.get(accountId);
    const held = q.oldestHeld.get(accountId);
    return {
      accountId,
      counts,
      ...(account?.hold ? { hold: JSON.parse(account.hold) as AccountHold } : {}),
      ...(account?.paused_until ? { pausedUntil: account.paused_until } : {}),
      ...(held
        ? {
            oldestHeld: {
              id: held.id,
              enqueuedAt: held.enqueued_at,
              ...(held.last_error ? { error: JSON.parse(held.last_error) } : {}),
            },
          }
        : {}),
    };
  });

  let closed = false;
  const run = async <T>(op: () => T): Promise<T> => {
    try {
      return op();
    } catch (err) {
      throw storeUnavailable('SQLite', err);
    }
  };

  return {
    add: (record) => run(() => add.immediate(record)),
    get: (id) =>
      run(() => {
        const row = q.byId.get(id);
        return row ? toRecord(row) : undefined;
      }),
    list: (query: ListQuery = {}) =>
      run(() => {
        const where: string[] = [];
        const params: unknown[] = [];
        if (query.accountId !== undefined) {
          where.push('account_id = ?');
          params.push(query.accountId);
        }
        if (query.states?.length) {
          where.push(`state IN (${query.states.map(() => '?').join(', ')})`);
          params.push(...query.states);
        }
        const sql = `SELECT * FROM outbox_messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ?`;
        return (db.prepare(sql).all(...params, query.limit ?? 100) as Row[]).map(toRecord);
      }),
    claim: (request) => run(() => claim.immediate(request)),
    extendLease: (id, owner, expiresAt) =>
      run(() => q.extend.run({ id, owner, expires: expiresAt }).changes === 1),
    settle: (id, owner, settlement) => run(() => settle.immediate(id, owner, settlement)),
    release: (accountId, now) => run(() => release.immediate(accountId, now)),
    pause: (accountId, until) => run(() => pause.immediate(accountId, until)),
    retry: (id, now) => run(() => retry.immediate(id, now)),
    cancel: (id) => run(() => cancel.immediate(id)),
    takeSendSlot: (accountId, request) => run(() => takeSendSlot.immediate(accountId, request)),
    accountStatus: (accountId) => run(() => accountStatus(accountId)),
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}

/** Column values that put an interrupted, leased row back to `deferred` (its account is paused or busy). */
function settleColumns(row: Row, state: OutboxState, now: number, attempts: number, history: string) {
  return {
    id: row.id,
    state,
    notBefore: Math.max(now, row.not_before),
    attempts,
    lastError: row.last_error,
    sentAt: null,
    result: null,
    history,
  };
}
