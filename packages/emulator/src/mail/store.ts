import { decodeWords, headerValue, parseHeaders } from './message-parse.js';

export interface StoredMessage {
  /** UID inside its folder (IMAP semantics: strictly ascending, never reused). */
  uid: number;
  /** Normalised (lower-case) mailbox address the message was delivered to. */
  mailbox: string;
  folder: string;
  raw: Buffer;
  size: number;
  /** IMAP system flags and keywords (`\Seen`, `\Deleted`, ...). Mutable. */
  flags: Set<string>;
  receivedAt: Date;
  /** SMTP envelope (or one synthesised from the headers). */
  envelope: { from: string; to: string[] };
  subject: string;
}

export interface MailFolder {
  name: string;
  specialUse?: string;
  uidValidity: number;
  uidNext: number;
  messages: StoredMessage[];
}

export type MailStoreEvent =
  | { type: 'exists'; mailbox: string; folder: string; message: StoredMessage }
  | { type: 'expunge'; mailbox: string; folder: string; message: StoredMessage };

export interface MailStore {
  /** Stores a message in `mailbox`'s INBOX (or `folder`) and notifies IMAP IDLE sessions. */
  deliver(mailbox: string, raw: Buffer | string, options?: DeliverOptions): StoredMessage;
  /** Messages of one folder (default INBOX), oldest first. */
  list(mailbox: string, folder?: string): StoredMessage[];
  /** Every stored message across mailboxes and folders. */
  all(): StoredMessage[];
  folders(mailbox: string): MailFolder[];
  folder(mailbox: string, name: string): MailFolder | undefined;
  createFolder(mailbox: string, name: string): MailFolder;
  /** Removes messages from their folder (POP3 QUIT, IMAP EXPUNGE). */
  remove(messages: StoredMessage[]): void;
  /** Copies into another folder with a new UID; returns the copy. */
  copy(message: StoredMessage, targetFolder: string): StoredMessage;
  subscribe(listener: (event: MailStoreEvent) => void): () => void;
  clear(): void;
}

export interface DeliverOptions {
  folder?: string;
  envelope?: { from: string; to: string[] };
  flags?: string[];
  receivedAt?: Date;
}

const DEFAULT_FOLDERS: Array<[string, string | undefined]> = [
  ['INBOX', undefined],
  ['Drafts', '\\Drafts'],
  ['Sent', '\\Sent'],
  ['Junk', '\\Junk'],
  ['Trash', '\\Trash'],
];

export const normaliseMailbox = (mailbox: string): string => mailbox.trim().toLowerCase();
/** IMAP treats INBOX case-insensitively; every other name is case-sensitive. */
export const normaliseFolder = (name: string): string => (name.toUpperCase() === 'INBOX' ? 'INBOX' : name);

/**
 * In-memory mailboxes shared by the SMTP, POP3 and IMAP servers.
 *
 * @example
 * const store = createMailStore();
 * store.deliver('ada@example.test', 'Subject: hi\r\n\r\nhello\r\n');
 * store.list('ada@example.test')[0]?.subject; // 'hi'
 */
export function createMailStore(): MailStore {
  const mailboxes = new Map<string, Map<string, MailFolder>>();
  const listeners = new Set<(event: MailStoreEvent) => void>();
  let uidValiditySeed = Math.floor(Date.now() / 1000) % 1_000_000_000;

  const emit = (event: MailStoreEvent) => {
    for (const listener of listeners) listener(event);
  };
  const newFolder = (name: string, specialUse?: string): MailFolder => ({
    name,
    uidValidity: ++uidValiditySeed,
    uidNext: 1,
    messages: [],
    ...(specialUse ? { specialUse } : {}),
  });
  const foldersOf = (mailbox: string): Map<string, MailFolder> => {
    const key = normaliseMailbox(mailbox);
    let folders = mailboxes.get(key);
    if (!folders) {
      folders = new Map(DEFAULT_FOLDERS.map(([name, use]) => [name, newFolder(name, use)]));
      mailboxes.set(key, folders);
    }
    return folders;
  };
  const createFolder = (mailbox: string, name: string): MailFolder => {
    const folders = foldersOf(mailbox);
    const key = normaliseFolder(name);
    const existing = folders.get(key);
    if (existing) return existing;
    const created = newFolder(key);
    folders.set(key, created);
    return created;
  };
  const insert = (message: Omit<StoredMessage, 'uid'>): StoredMessage => {
    const folder = createFolder(message.mailbox, message.folder);
    const stored: StoredMessage = { ...message, folder: folder.name, uid: folder.uidNext++ };
    folder.messages.push(stored);
    emit({ type: 'exists', mailbox: stored.mailbox, folder: folder.name, message: stored });
    return stored;
  };

  return {
    deliver(mailbox, raw, options = {}) {
      const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
      const headers = parseHeaders(bytes);
      const key = normaliseMailbox(mailbox);
      return insert({
        mailbox: key,
        folder: normaliseFolder(options.folder ?? 'INBOX'),
        raw: bytes,
        size: bytes.length,
        flags: new Set(options.flags ?? []),
        receivedAt: options.receivedAt ?? new Date(),
        envelope: options.envelope ?? { from: headerValue(headers, 'from') ?? '', to: [key] },
        subject: decodeWords(headerValue(headers, 'subject') ?? ''),
      });
    },
    list: (mailbox, folder = 'INBOX') => [
      ...(foldersOf(mailbox).get(normaliseFolder(folder))?.messages ?? []),
    ],
    all: () => [...mailboxes.values()].flatMap((folders) => [...folders.values()].flatMap((f) => f.messages)),
    folders: (mailbox) => [...foldersOf(mailbox).values()],
    folder: (mailbox, name) => foldersOf(mailbox).get(normaliseFolder(name)),
    createFolder,
    remove(messages) {
      for (const message of messages) {
        const folder = foldersOf(message.mailbox).get(message.folder);
        const index = folder?.messages.indexOf(message) ?? -1;
        if (!folder || index < 0) continue;
        folder.messages.splice(index, 1);
        emit({ type: 'expunge', mailbox: message.mailbox, folder: folder.name, message });
      }
    },
    copy(message, targetFolder) {
      return insert({ ...message, folder: normaliseFolder(targetFolder), flags: new Set(message.flags) });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    clear: () => mailboxes.clear(),
  };
}
