import { MailplugError } from '../spec/v1/mailplug-error.js';
import type { FetchOptions } from '../spec/v1/message.js';
import type { ReceiveConnection } from '../spec/v1/protocol.js';
import type { StoredValue, TokenStore } from '../spec/v1/stores.js';

/** What is persisted under `${accountId}:receive-cursor`. */
export interface ReceiveCursor {
  readonly version: 1;
  /** Ids handled successfully and still on the server (pruned on every run). */
  readonly processed: readonly string[];
  /** The id whose handler was running when the last run stopped; `null` after a clean step. */
  readonly inFlight: string | null;
}

export interface ReceivedMessageContext {
  /**
   * True when a previous run called the handler for this id and stopped (crash, kill) before the
   * success could be recorded. The handler's side effect may or may not have happened: check
   * the host's own records by id before repeating it.
   */
  readonly redelivered: boolean;
}

export interface ProcessNewMessagesOptions {
  readonly connection: ReceiveConnection;
  /** Durable store shared by every run for this account (the file store survives crashes). */
  readonly store: TokenStore;
  readonly accountId: string;
  /** Handles one raw RFC 5322 message. Throwing stops the run; the message is retried next run. */
  readonly handler: (id: string, raw: Uint8Array, context: ReceivedMessageContext) => Promise<void>;
  /** Delete each message from the server after it was handled and recorded (default false). */
  readonly deleteAfter?: boolean;
  readonly maxBytes?: FetchOptions['maxBytes'];
  /** Stops between messages. */
  readonly signal?: AbortSignal;
}

export interface ProcessNewMessagesResult {
  /** Ids handed to the handler in this run, in order. */
  readonly processed: readonly string[];
  /** Ids skipped because an earlier run already handled them. */
  readonly skipped: number;
  /** Ids deleted in this run (POP3: committed by `connection.close()`). */
  readonly deleted: readonly string[];
}

/** The TokenStore key holding an account's receive cursor. */
export function receiveCursorKey(accountId: string): string {
  return `${accountId}:receive-cursor`;
}

/**
 * Hands every message that no earlier run has handled to `handler`, once, in server order, and
 * records each success in the TokenStore before moving on (and before deleting).
 *
 * Guarantees: a message is never skipped (its id is recorded only after the handler resolved),
 * and it is handed over again only in one case — a crash after the handler's side effect but
 * before the record was stored — which the next run flags with `redelivered: true` so the host
 * can check by id and keep the effect exactly-once. Deleted ids and ids that vanished from the
 * server are pruned from the cursor.
 *
 * @example
 * const connection = await pop3.connect(server, session);
 * try {
 *   await processNewMessages({ connection, store, accountId, deleteAfter: true,
 *     handler: async (id, raw, { redelivered }) => {
 *       if (redelivered && (await inbox.has(id))) return;
 *       await inbox.import(id, raw);
 *     } });
 *   await connection.close(); // POP3 commits deletions on QUIT
 * } finally { await connection.dispose(); }
 */
export async function processNewMessages(
  options: ProcessNewMessagesOptions,
): Promise<ProcessNewMessagesResult> {
  const { connection, store, handler } = options;
  const key = receiveCursorKey(options.accountId);
  const cursor = parseCursor(await store.get(key), key);
  const onServer = await connection.list();
  const serverIds = new Set(onServer.map((m) => m.id));

  const processed = new Set(cursor.processed.filter((id) => serverIds.has(id)));
  let inFlight = cursor.inFlight !== null && serverIds.has(cursor.inFlight) ? cursor.inFlight : null;
  const save = () =>
    store.set(key, { version: 1, processed: [...processed], inFlight } satisfies StoredCursor);
  if (processed.size !== cursor.processed.length || inFlight !== cursor.inFlight) await save();

  const handled: string[] = [];
  const deleted: string[] = [];
  let skipped = 0;
  for (const message of onServer) {
    options.signal?.throwIfAborted();
    if (processed.has(message.id)) {
      skipped += 1;
      // A run that deleted but never reached POP3 QUIT left the message on the server.
      if (options.deleteAfter) {
        await connection.delete(message.id);
        deleted.push(message.id);
      }
      continue;
    }
    const raw = await connection.fetch(
      message.id,
      options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes },
    );
    const redelivered = inFlight === message.id;
    inFlight = message.id;
    await save();
    await handler(message.id, raw, { redelivered });
    processed.add(message.id);
    inFlight = null;
    await save();
    handled.push(message.id);
    if (options.deleteAfter) {
      await connection.delete(message.id);
      deleted.push(message.id);
    }
  }
  return { processed: handled, skipped, deleted };
}

type StoredCursor = { version: 1; processed: string[]; inFlight: string | null };

function parseCursor(value: StoredValue | undefined, key: string): ReceiveCursor {
  if (value === undefined || value === null) return { version: 1, processed: [], inFlight: null };
  const v = value as Partial<StoredCursor>;
  if (
    typeof value !== 'object' ||
    Array.isArray(value) ||
    v.version !== 1 ||
    !Array.isArray(v.processed) ||
    !v.processed.every((id) => typeof id === 'string') ||
    !(v.inFlight === null || typeof v.inFlight === 'string')
  ) {
    throw new MailplugError({
      code: 'RECEIVE_CURSOR_INVALID',
      action: 'developer',
      message: `The receive cursor stored under "${key}" is not a Mailplug receive cursor`,
      hint: 'Delete the key from the TokenStore (every message on the server will be handed over again) or restore it from a backup.',
      details: { key },
    });
  }
  return { version: 1, processed: v.processed, inFlight: v.inFlight ?? null };
}
