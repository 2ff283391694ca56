import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { storeUnavailable } from './errors.js';
import type {
  AccountHold,
  AccountStatus,
  AttemptRecord,
  HostActionResult,
  OutboxRecord,
  OutboxState,
  OutboxStore,
} from './outbox-store.js';
import { ADD, CLAIM, EXTEND, HOST_ACTION, PAUSE, RELEASE, SETTLE, TAKE_SLOT } from './redis-scripts.js';
import { emptyCounts, interruptedAttempt } from './store-rules.js';

export interface RedisOutboxStoreOptions {
  /** An existing ioredis client (the store does not close it), or a URL / options to open one. */
  readonly client?: Redis | undefined;
  readonly url?: string | undefined;
  readonly redisOptions?: RedisOptions | undefined;
  /** Prefix for every key. Default `mailplug:outbox:`. */
  readonly prefix?: string | undefined;
}

const SCRIPTS = {
  outboxAdd: ADD,
  outboxClaim: CLAIM,
  outboxExtend: EXTEND,
  outboxSettle: SETTLE,
  outboxRelease: RELEASE,
  outboxPause: PAUSE,
  outboxHostAction: HOST_ACTION,
  outboxTakeSlot: TAKE_SLOT,
} as const;
type ScriptName = keyof typeof SCRIPTS;
type ScriptCaller = (...args: (string | number)[]) => Promise<unknown>;

const INTERRUPTED_HINT = interruptedAttempt(null, null, 0).hint ?? '';

function toRecord(id: string, hash: Record<string, string>, history: string[]): OutboxRecord {
  const n = (key: string) => Number(hash[key]);
  const optional = (key: string) => (hash[key] !== undefined && hash[key] !== '' ? hash[key] : undefined);
  const actingUser = optional('actingUser');
  const idempotencyKey = optional('idempotencyKey');
  const leaseOwner = optional('leaseOwner');
  const lastError = optional('lastError');
  const result = optional('result');
  return {
    id,
    accountId: hash.accountId ?? '',
    ...(actingUser !== undefined ? { actingUser } : {}),
    payload: hash.payload ?? '',
    messageId: hash.messageId ?? '',
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    subject: hash.subject ?? '',
    recipients: n('recipients'),
    enqueuedAt: n('enqueuedAt'),
    state: hash.state as OutboxState,
    seq: n('seq'),
    notBefore: n('notBefore'),
    attempts: n('attempts'),
    windowStart: n('windowStart'),
    ...(leaseOwner !== undefined
      ? { leaseOwner, leasedAt: n('leasedAt'), leaseExpiresAt: n('leaseExpiresAt') }
      : {}),
    ...(lastError !== undefined ? { lastError: JSON.parse(lastError) } : {}),
    ...(optional('sentAt') !== undefined ? { sentAt: n('sentAt') } : {}),
    ...(result !== undefined ? { result: JSON.parse(result) } : {}),
    history: history.map((line) => JSON.parse(line) as AttemptRecord),
  };
}

/**
 * The outbox store for hosts that run several instances: every worker in every process shares one
 * Redis. Each state change is one Lua script (atomic); a claimed message is leased to one worker,
 * and a lease its worker stops renewing expires so another worker takes the message. Plain Redis
 * (not Cluster); see the README for why this is built on ioredis rather than BullMQ.
 *
 * @example
 * const store = createRedisOutboxStore({ url: process.env.REDIS_URL, prefix: 'myhost:outbox:' });
 * const outbox = createOutbox({ mailer, store, accounts });
 * outbox.startWorker({ concurrency: 8 });
 */
export function createRedisOutboxStore(options: RedisOutboxStoreOptions = {}): OutboxStore {
  const owned = !options.client;
  const redis =
    options.client ??
    (options.url
      ? new Redis(options.url, { ...options.redisOptions })
      : new Redis(options.redisOptions ?? {}));
  // Connection errors surface as failed commands (OUTBOX_STORE_UNAVAILABLE); ioredis reconnects.
  if (owned) redis.on('error', () => undefined);
  const prefix = options.prefix ?? 'mailplug:outbox:';
  for (const [name, lua] of Object.entries(SCRIPTS)) redis.defineCommand(name, { numberOfKeys: 0, lua });
  const commands = redis as unknown as Record<ScriptName, ScriptCaller>;

  async function call<T>(name: ScriptName, ...args: (string | number)[]): Promise<T> {
    try {
      return (await commands[name](prefix, ...args)) as T;
    } catch (err) {
      throw storeUnavailable('Redis', err);
    }
  }

  async function load(ids: readonly string[]): Promise<OutboxRecord[]> {
    if (ids.length === 0) return [];
    let replies: [Error | null, unknown][] | null;
    try {
      const pipeline = redis.pipeline();
      for (const id of ids) {
        pipeline.hgetall(`${prefix}m:${id}`);
        pipeline.lrange(`${prefix}h:${id}`, 0, -1);
      }
      replies = await pipeline.exec();
    } catch (err) {
      throw storeUnavailable('Redis', err);
    }
    const out: OutboxRecord[] = [];
    ids.forEach((id, i) => {
      const hash = replies?.[2 * i]?.[1] as Record<string, string> | undefined;
      const history = (replies?.[2 * i + 1]?.[1] as string[] | undefined) ?? [];
      if (hash && hash.state !== undefined) out.push(toRecord(id, hash, history));
    });
    return out;
  }

  const direct = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (err) {
      throw storeUnavailable('Redis', err);
    }
  };

  return {
    async add(record) {
      const fields: (string | number)[] = [];
      const put = (name: string, value: string | number | undefined) => {
        if (value !== undefined) fields.push(name, value);
      };
      put('id', record.id);
      put('accountId', record.accountId);
      put('actingUser', record.actingUser);
      put('payload', record.payload);
      put('messageId', record.messageId);
      put('idempotencyKey', record.idempotencyKey);
      put('subject', record.subject);
      put('recipients', record.recipients);
      put('enqueuedAt', record.enqueuedAt);
      const [id, created] = await call<[string, number]>(
        'outboxAdd',
        record.enqueuedAt,
        record.id,
        record.accountId,
        record.idempotencyKey ?? '',
        record.enqueuedAt,
        ...fields,
      );
      return { id, created: created === 1 };
    },
    async get(id) {
      return (await load([id]))[0];
    },
    async list(query = {}) {
      const limit = query.limit ?? 100;
      const index = query.accountId !== undefined ? `${prefix}all:${query.accountId}` : `${prefix}all`;
      const wanted = query.states?.length ? new Set(query.states) : undefined;
      const out: OutboxRecord[] = [];
      // Walk the index in enqueue order, a page at a time, until enough records match.
      for (let start = 0; out.length < limit; start += 500) {
        const ids = await direct(() => redis.zrange(index, start, start + 499));
        if (ids.length === 0) break;
        for (const record of await load(ids)) {
          if (!wanted || wanted.has(record.state)) out.push(record);
          if (out.length >= limit) break;
        }
      }
      return out;
    },
    async claim(request) {
      const busy = Object.entries(request.busy)
        .map(([account, count]) => `${account} ${count}`)
        .join('\n');
      const ids = await call<string[]>(
        'outboxClaim',
        request.now,
        request.owner,
        request.leaseMs,
        request.limit,
        request.perAccount,
        busy,
        INTERRUPTED_HINT,
      );
      return load(ids);
    },
    async extendLease(id, owner, expiresAt) {
      return (await call<number>('outboxExtend', id, owner, expiresAt)) === 1;
    },
    async settle(id, owner, s) {
      const hold: AccountHold | undefined =
        s.state === 'held' ? { since: s.attempt.endedAt, error: s.error, causedBy: id } : undefined;
      const recorded = await call<number>(
        'outboxSettle',
        id,
        owner,
        s.attempt.endedAt,
        s.state,
        JSON.stringify(s.attempt),
        'error' in s && s.error ? JSON.stringify(s.error) : '',
        s.state === 'deferred' ? s.notBefore : 0,
        s.state === 'deferred' && !s.countsAsAttempt ? '0' : '1',
        s.state === 'sent' ? s.sentAt : 0,
        s.state === 'sent' ? JSON.stringify(s.result) : '',
        hold ? JSON.stringify(hold) : '',
      );
      return recorded === 1;
    },
    async release(accountId, now) {
      return call<number>('outboxRelease', accountId, now);
    },
    async pause(accountId, until) {
      await call('outboxPause', accountId, until);
    },
    async retry(id, now) {
      return call<HostActionResult>('outboxHostAction', id, now, 'retry');
    },
    async cancel(id, now) {
      return call<HostActionResult>('outboxHostAction', id, now, 'cancel');
    },
    async takeSendSlot(accountId, request) {
      const reply = await call<[number, number?]>(
        'outboxTakeSlot',
        accountId,
        request.now,
        request.recipients,
        `${request.recipients}|${request.id}|${randomUUID()}`,
        request.limits.messagesPerMinute ?? '',
        request.limits.messagesPerDay ?? '',
        request.limits.recipientsPerDay ?? '',
      );
      return reply[0] === 1 ? { granted: true } : { granted: false, retryAt: Number(reply[1]) };
    },
    async accountStatus(accountId): Promise<AccountStatus> {
      const [countsHash, account, oldest] = await direct(() =>
        Promise.all([
          redis.hgetall(`${prefix}counts:${accountId}`),
          redis.hgetall(`${prefix}acct:${accountId}`),
          redis.zrange(`${prefix}held:${accountId}`, 0, 0),
        ]),
      );
      const counts = emptyCounts();
      for (const [state, n] of Object.entries(countsHash)) {
        if (state in counts) counts[state as OutboxState] = Number(n);
      }
      const held = oldest[0] ? (await load([oldest[0]]))[0] : undefined;
      const pausedUntil = Number(account.pausedUntil ?? 0);
      return {
        accountId,
        counts,
        ...(account.hold ? { hold: JSON.parse(account.hold) as AccountHold } : {}),
        ...(pausedUntil ? { pausedUntil } : {}),
        ...(held
          ? {
              oldestHeld: {
                id: held.id,
                enqueuedAt: held.enqueuedAt,
                ...(held.lastError ? { error: held.lastError } : {}),
              },
            }
          : {}),
      };
    },
    async close() {
      if (owned) redis.disconnect();
    },
  };
}
