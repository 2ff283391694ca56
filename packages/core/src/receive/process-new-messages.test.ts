import { describe, expect, it } from 'vitest';
import { isMailplugError } from '../spec/v1/mailplug-error.js';
import type { MessageSummary } from '../spec/v1/message.js';
import type { ReceiveConnection } from '../spec/v1/protocol.js';
import { createMemoryTokenStore } from '../tokens/memory-store.js';
import { processNewMessages, receiveCursorKey } from './process-new-messages.js';

// Edge cases only; the crash-safety test runs against real Dovecot in @mailplug/protocol-pop3.
function mapStore() {
  return createMemoryTokenStore();
}

function mailbox(ids: string[]): ReceiveConnection & { deletedIds: string[] } {
  const deletedIds: string[] = [];
  return {
    direction: 'receive',
    deletedIds,
    list: async (): Promise<MessageSummary[]> => ids.map((id) => ({ id, size: 10 })),
    fetch: async (id) => new TextEncoder().encode(`Subject: ${id}\r\n\r\n`),
    delete: async (id) => void deletedIds.push(id),
    close: async () => {},
    dispose: () => {},
  };
}

describe('processNewMessages', () => {
  it('hands over each message once across runs and prunes ids gone from the server', async () => {
    const store = mapStore();
    const seen: string[] = [];
    const handler = async (id: string) => void seen.push(id);
    await processNewMessages({ connection: mailbox(['a', 'b']), store, accountId: 'acc', handler });
    const second = await processNewMessages({
      connection: mailbox(['b', 'c']),
      store,
      accountId: 'acc',
      handler,
    });
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(second).toEqual({ processed: ['c'], skipped: 1, deleted: [] });
    expect(await store.get(receiveCursorKey('acc'))).toEqual({
      version: 1,
      processed: ['b', 'c'],
      inFlight: null,
    });
  });

  it('flags the message whose handler was interrupted as redelivered, and retries it', async () => {
    const store = mapStore();
    await expect(
      processNewMessages({
        connection: mailbox(['a', 'b']),
        store,
        accountId: 'acc',
        handler: async (id) => {
          if (id === 'b') throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    const calls: Array<[string, boolean]> = [];
    await processNewMessages({
      connection: mailbox(['a', 'b']),
      store,
      accountId: 'acc',
      handler: async (id, _raw, ctx) => void calls.push([id, ctx.redelivered]),
    });
    expect(calls).toEqual([['b', true]]);
  });

  it('deletes after recording, and deletes again what an unfinished run left on the server', async () => {
    const store = mapStore();
    await store.set(receiveCursorKey('acc'), { version: 1, processed: ['a'], inFlight: null });
    const connection = mailbox(['a', 'b']);
    const result = await processNewMessages({
      connection,
      store,
      accountId: 'acc',
      handler: async () => {},
      deleteAfter: true,
    });
    expect(connection.deletedIds).toEqual(['a', 'b']);
    expect(result.processed).toEqual(['b']);
  });

  it('refuses a cursor that is not one, with a hint', async () => {
    const store = mapStore();
    await store.set(receiveCursorKey('acc'), 'garbage');
    const error = await processNewMessages({
      connection: mailbox([]),
      store,
      accountId: 'acc',
      handler: async () => {},
    }).catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('RECEIVE_CURSOR_INVALID');
    expect(isMailplugError(error) && error.hint).toMatch(/Delete the key/);
  });
});
