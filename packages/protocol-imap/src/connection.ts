import {
  type Disposable,
  type FetchOptions,
  type MessageSummary,
  type ReceiveConnection,
  type ServerSettings,
  toDisposable,
} from '@mailplug/core';
import type { ImapFlow } from 'imapflow';
import { classifyImapError, ImapErrorCode, imapError } from './errors.js';
import { formatMessageId, parseMessageId } from './message-id.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

/** Told to a watcher when the selected mailbox grew while IDLE (or between commands). */
export interface ImapNewMailEvent {
  readonly mailbox: string;
  /** Messages in the mailbox now. */
  readonly count: number;
  readonly previousCount: number;
}

/** An IMAP session on one selected mailbox: the spec's ReceiveConnection plus IMAP's own extras. */
export interface ImapConnection extends ReceiveConnection {
  /** The selected mailbox (default `INBOX`). */
  readonly mailbox: string;
  /** The mailbox's current UIDVALIDITY (the first half of every message id). */
  readonly uidValidity: string;
  /** The SASL mechanism (or `LOGIN-COMMAND`) that signed in. */
  readonly mechanism: string;
  /** Settles when the connection ends for any reason (server drop, close, dispose). Never rejects. */
  readonly closed: Promise<void>;
  /** Messages without `\Seen`, oldest first. */
  searchUnseen(): Promise<readonly MessageSummary[]>;
  /** Sets `\Seen`. */
  markProcessed(id: string): Promise<void>;
  /**
   * Runs IDLE while the returned Disposable lives and calls `onNewMessage` when mail arrives.
   * Other calls (list, fetch) interrupt IDLE and it resumes afterwards. One watcher per connection.
   */
  watch(onNewMessage: (event: ImapNewMailEvent) => void): Disposable;
}

export interface ImapConnectionContext {
  readonly server: ServerSettings;
  readonly mailbox: string;
  readonly mechanism: string;
  readonly trashMailbox?: string;
  /** The largest message fetch() returns; imapflow's parser limits are sized from it. Default 25 MiB. */
  readonly maxMessageBytes?: number;
}

interface ExistsEvent {
  path: string;
  count: number;
  prevCount: number;
}

export function createImapConnection(client: ImapFlow, context: ImapConnectionContext): ImapConnection {
  const { mailbox } = context;
  let closing: Promise<void> | undefined;
  let watching = false;
  const closed = new Promise<void>((resolve) => {
    if (!client.usable) resolve();
    client.once('close', () => resolve());
  });

  const uidValidity = (): bigint => {
    const current = client.mailbox;
    if (!current) throw connectionClosed();
    return current.uidValidity;
  };

  /** Runs one command; imapflow/socket errors become MailplugErrors. */
  const run = async <T>(command: string, fn: () => Promise<T>): Promise<T> => {
    if (closing || !client.usable) throw connectionClosed();
    try {
      return await fn();
    } catch (error) {
      throw classifyImapError(error, { host: context.server.host, port: context.server.port, command });
    }
  };

  const uidOf = (id: string) => parseMessageId(id, uidValidity(), mailbox);

  /**
   * RFC822.SIZE by message id, as last listed. A UID's content never changes within one
   * UIDVALIDITY (RFC 3501 §2.3.1.1) and the id carries the UIDVALIDITY, so a listed size stays true:
   * fetch() checks maxBytes against it and needs only one FETCH per message.
   */
  let knownSizes = new Map<string, number>();

  const summaries = (
    messages: readonly { uid: number; size?: number | undefined; flags?: Set<string> | undefined }[],
    sizes: Map<string, number>,
  ) => {
    const validity = uidValidity();
    return messages
      .filter((m) => !m.flags?.has('\\Deleted'))
      .sort((a, b) => a.uid - b.uid)
      .map((m): MessageSummary => {
        const id = formatMessageId(validity, m.uid);
        if (m.size !== undefined) sizes.set(id, m.size);
        return { id, size: m.size ?? 0 };
      });
  };

  /** The server's RFC822.SIZE for one UID: listed, or asked for (one small FETCH) when unknown. */
  const sizeOf = async (id: string, uid: number): Promise<number> => {
    const listed = knownSizes.get(id);
    if (listed !== undefined) return listed;
    const meta = await client.fetchOne(String(uid), { uid: true, size: true }, { uid: true });
    if (!meta) throw messageNotFound(id, mailbox);
    const size = meta.size ?? 0;
    knownSizes.set(id, size);
    return size;
  };

  const connection: ImapConnection = {
    direction: 'receive',
    mailbox,
    get uidValidity() {
      const current = client.mailbox;
      return current ? String(current.uidValidity) : '';
    },
    mechanism: context.mechanism,
    closed,
    list: () =>
      run('FETCH', async () => {
        // A full listing replaces what we knew: ids that are gone are forgotten.
        const sizes = new Map<string, number>();
        const listed =
          client.mailbox && client.mailbox.exists === 0
            ? []
            : summaries(await client.fetchAll('1:*', { uid: true, size: true, flags: true }), sizes);
        knownSizes = sizes;
        return listed;
      }),
    searchUnseen: () =>
      run('SEARCH', async () => {
        const uids = await client.search({ seen: false }, { uid: true });
        if (!uids || uids.length === 0) return [];
        return summaries(
          await client.fetchAll(uids.join(','), { uid: true, size: true, flags: true }, { uid: true }),
          knownSizes,
        );
      }),
    async fetch(id: string, options?: FetchOptions) {
      const uid = uidOf(id);
      // A larger maxBytes than the connection's parser accepts would end the connection mid-literal.
      const limit = context.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
      const maxBytes = Math.min(options?.maxBytes ?? limit, limit);
      return run('FETCH', async () => {
        // Oversized messages are refused before any of their bytes are downloaded.
        const size = await sizeOf(id, uid);
        if (size > maxBytes) throw messageTooLarge(id, size, maxBytes);
        // One FETCH: BODY.PEEK[]<0.maxBytes+1> never sets \Seen (markProcessed() does that) and
        // caps the download even if the server's RFC822.SIZE understated the message.
        const message = await client.fetchOne(String(uid), { source: cappedSource(maxBytes) }, { uid: true });
        const source = message ? message.source : undefined;
        if (!source) {
          knownSizes.delete(id);
          throw messageNotFound(id, mailbox);
        }
        if (source.byteLength > maxBytes) throw messageTooLarge(id, size, maxBytes, true);
        return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
      });
    },
    async markProcessed(id: string) {
      const uid = uidOf(id);
      await run('STORE', async () => {
        await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
      });
    },
    async delete(id: string) {
      const uid = uidOf(id);
      await run(context.trashMailbox ? 'MOVE' : 'EXPUNGE', async () => {
        const ok = context.trashMailbox
          ? await client.messageMove(String(uid), context.trashMailbox, { uid: true })
          : // STORE +FLAGS \Deleted, then UID EXPUNGE (UIDPLUS) so other \Deleted messages stay.
            await client.messageDelete(String(uid), { uid: true });
        knownSizes.delete(id);
        if (!ok) throw messageNotFound(id, mailbox);
      });
    },
    watch(onNewMessage) {
      if (watching) {
        throw imapError(
          ImapErrorCode.Failed,
          'developer',
          'This IMAP connection is already being watched',
          'Dispose the first watcher before starting another one, or open a second connection.',
        );
      }
      watching = true;
      let active = true;
      const listener = (event: ExistsEvent) => {
        if (!active || event.path !== mailbox || event.count <= event.prevCount) return;
        onNewMessage({ mailbox, count: event.count, previousCount: event.prevCount });
      };
      client.on('exists', listener);
      const loop = (async () => {
        while (active && client.usable && !closing) {
          try {
            // Resolves when IDLE is broken (a command of ours, the restart timer) and is reissued.
            await client.idle({ whenFree: true });
          } catch {
            break; // the connection ended; `closed` tells the host (and the supervisor)
          }
        }
      })();
      return toDisposable(async () => {
        active = false;
        watching = false;
        client.off('exists', listener);
        // Any command ends IDLE; NOOP is the cheapest.
        if (client.usable && !closing) await client.noop().catch(() => {});
        await loop;
      });
    },
    close: () =>
      (closing ??= (async () => {
        if (!client.usable) return;
        try {
          await client.logout();
        } catch {
          client.close();
        }
      })()),
    dispose() {
      closing ??= Promise.resolve();
      client.close();
    },
  };
  return connection;
}

function connectionClosed() {
  return imapError(
    ImapErrorCode.ConnectionClosed,
    'developer',
    'IMAP connection is closed',
    'Open a new connection with protocol.connect() (or let the supervisor do it); a closed one cannot be reused.',
  );
}

function messageNotFound(id: string, mailbox: string) {
  return imapError(
    ImapErrorCode.MessageNotFound,
    'developer',
    `No message with id ${id} in IMAP mailbox ${mailbox}`,
    'Call list() again and pass one of its ids; the message may have been deleted by another client.',
    { details: { id, mailbox } },
  );
}

/**
 * `BODY.PEEK[]<0.maxBytes+1>`: one byte more than allowed tells "too large" from "exactly at the
 * limit". IMAP numbers are 32-bit (RFC 3501 §4.2); a larger limit fetches the whole message.
 */
function cappedSource(maxBytes: number): true | { maxLength: number } {
  const cap = Math.floor(maxBytes) + 1;
  return Number.isSafeInteger(cap) && cap > 0 && cap <= 0xffff_ffff ? { maxLength: cap } : true;
}

/** `understated`: the server listed `size`, but sent more than `maxBytes`. */
function messageTooLarge(id: string, size: number, maxBytes: number, understated = false) {
  return imapError(
    ImapErrorCode.MessageTooLarge,
    'admin',
    understated
      ? `IMAP message ${id} is larger than the ${maxBytes} bytes allowed (the server listed ${size} bytes)`
      : `IMAP message ${id} is ${size} bytes, more than the ${maxBytes} bytes allowed`,
    'Raise fetch maxBytes (up to maxMessageBytes of createImapProtocol, which caps it) if such messages are expected, or remove the message from the mailbox.',
    { details: { id, size, maxBytes } },
  );
}
