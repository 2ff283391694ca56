import { isMailplugError } from '@mailplug/core';
import type { Emulator } from '@mailplug/emulator';
import { passwordCredentials } from '@mailplug/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createImapProtocol, type ImapNewMailEvent } from '../src/index.js';
import { alicePassword, imapServer, message, startImapEmulator, USER } from './helpers.js';

const imap = createImapProtocol({ silenceDeprecation: true });
let emulator: Emulator;
const store = () => {
  if (!emulator.mail) throw new Error('no mail store');
  return emulator.mail;
};

beforeAll(async () => {
  emulator = await startImapEmulator();
});
afterAll(() => emulator?.stop());
beforeEach(() => store().clear());

describe('IMAP receive against the emulator', () => {
  it('lists UIDVALIDITY:UID ids, fetches raw bytes without setting \\Seen, and marks processed with \\Seen', async () => {
    store().deliver(USER, message('one'));
    store().deliver(USER, message('two', 'second body'));
    const credentials = passwordCredentials(USER, alicePassword(emulator));
    const connection = await imap.connect(imapServer(emulator, 'starttls'), credentials);
    try {
      const list = await connection.list();
      const validity = String(store().folder(USER, 'INBOX')?.uidValidity);
      expect(list.map((m) => m.id)).toEqual(
        store()
          .list(USER)
          .map((m) => `${validity}:${m.uid}`),
      );
      expect(list.every((m) => m.size > 0)).toBe(true);
      const raw = Buffer.from(await connection.fetch(list[1]?.id ?? '')).toString();
      expect(raw).toContain('Subject: two');
      expect(raw).toContain('second body');
      expect(store().list(USER)[1]?.flags.has('\\Seen')).toBe(false);

      expect((await connection.searchUnseen()).map((m) => m.id)).toEqual(list.map((m) => m.id));
      await connection.markProcessed(list[0]?.id ?? '');
      expect(store().list(USER)[0]?.flags.has('\\Seen')).toBe(true);
      expect((await connection.searchUnseen()).map((m) => m.id)).toEqual([list[1]?.id]);
      expect(connection.mechanism).toBe('PLAIN');
    } finally {
      await connection.close();
    }
    expect(credentials.requests).toEqual([{ protocol: 'imap' }]);
  });

  it('asks the credential source again on every connect (imapflow instances are single-use)', async () => {
    store().deliver(USER, message('fresh'));
    const credentials = passwordCredentials(USER, alicePassword(emulator));
    for (let i = 0; i < 2; i += 1) {
      const connection = await imap.connect(imapServer(emulator), credentials);
      expect(await connection.list()).toHaveLength(1);
      await connection.close();
      await connection.close();
    }
    expect(credentials.requests).toHaveLength(2);
  });

  it('refuses a message above maxBytes before downloading it, and the connection stays usable', async () => {
    store().deliver(USER, message('big', 'x'.repeat(5000)));
    const connection = await imap.connect(
      imapServer(emulator),
      passwordCredentials(USER, alicePassword(emulator)),
    );
    try {
      const [big] = await connection.list();
      const error = await connection.fetch(big?.id ?? '', { maxBytes: 1000 }).catch((e: unknown) => e);
      expect(isMailplugError(error) && error.code).toBe('IMAP_MESSAGE_TOO_LARGE');
      expect(isMailplugError(error) && error.hint).toMatch(/maxBytes/);
      expect((await connection.fetch(big?.id ?? '', { maxBytes: 10_000 })).byteLength).toBeGreaterThan(5000);
    } finally {
      await connection.close();
    }
  });

  it('delete flags \\Deleted and expunges only that UID; with trashMailbox it moves the message', async () => {
    for (const s of ['a', 'b', 'c']) store().deliver(USER, message(s));
    const credentials = passwordCredentials(USER, alicePassword(emulator));
    const connection = await imap.connect(imapServer(emulator), credentials);
    const [a, b] = await connection.list();
    await connection.delete(a?.id ?? '');
    expect(
      store()
        .list(USER)
        .map((m) => m.subject),
    ).toEqual(['b', 'c']);
    expect((await connection.list()).map((m) => m.id)).not.toContain(a?.id);
    const gone = await connection.fetch(a?.id ?? '').catch((e: unknown) => e);
    expect(isMailplugError(gone) && gone.code).toBe('IMAP_MESSAGE_NOT_FOUND');
    await connection.close();

    const withTrash = await createImapProtocol({ silenceDeprecation: true, trashMailbox: 'Trash' }).connect(
      imapServer(emulator),
      credentials,
    );
    await withTrash.delete(b?.id ?? '');
    await withTrash.close();
    expect(
      store()
        .list(USER)
        .map((m) => m.subject),
    ).toEqual(['c']);
    expect(
      store()
        .list(USER, 'Trash')
        .map((m) => m.subject),
    ).toEqual(['b']);
  });

  it('detects a reset mailbox: an id from another UIDVALIDITY is refused, never mapped to a different message', async () => {
    store().deliver(USER, message('kept'));
    const connection = await imap.connect(
      imapServer(emulator),
      passwordCredentials(USER, alicePassword(emulator)),
    );
    try {
      const [kept] = await connection.list();
      const [validity, uid] = (kept?.id ?? '').split(':');
      const stale = `${BigInt(validity ?? '0') - 1n}:${uid}`;
      for (const call of [
        () => connection.fetch(stale),
        () => connection.delete(stale),
        () => connection.markProcessed(stale),
      ]) {
        const error = await call().catch((e: unknown) => e);
        expect(isMailplugError(error) && error.code).toBe('IMAP_UIDVALIDITY_CHANGED');
        expect(isMailplugError(error) && error.hint).toMatch(/list\(\) again/);
      }
      const invalid = await connection.fetch('42').catch((e: unknown) => e);
      expect(isMailplugError(invalid) && invalid.code).toBe('IMAP_INVALID_ID');
      expect(store().list(USER)).toHaveLength(1);
    } finally {
      await connection.close();
    }
  });

  it('watch() runs IDLE and reports new mail; disposing stops it and commands still work', async () => {
    const connection = await imap.connect(
      imapServer(emulator),
      passwordCredentials(USER, alicePassword(emulator)),
    );
    try {
      const events: ImapNewMailEvent[] = [];
      let notify: () => void = () => {};
      const arrived = new Promise<void>((resolve) => {
        notify = resolve;
      });
      const watcher = connection.watch((event) => {
        events.push(event);
        notify();
      });
      expect(() => connection.watch(() => {})).toThrow(/already being watched/);
      // The list() interrupts IDLE and IDLE resumes after it.
      expect(await connection.list()).toEqual([]);
      store().deliver(USER, message('pushed'));
      await arrived;
      expect(events[0]).toMatchObject({ mailbox: 'INBOX', count: 1, previousCount: 0 });
      await watcher.dispose();
      expect(await connection.list()).toHaveLength(1);
    } finally {
      await connection.close();
    }
  });

  it('selects another mailbox, and names a missing one as an admin error', async () => {
    store().deliver(USER, message('archived'), { folder: 'Trash' });
    const trash = await createImapProtocol({ silenceDeprecation: true, mailbox: 'Trash' }).connect(
      imapServer(emulator),
      passwordCredentials(USER, alicePassword(emulator)),
    );
    expect(trash.mailbox).toBe('Trash');
    expect(await trash.list()).toHaveLength(1);
    await trash.close();
    const error = await createImapProtocol({ silenceDeprecation: true, mailbox: 'Nope' })
      .connect(imapServer(emulator), passwordCredentials(USER, alicePassword(emulator)))
      .catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('IMAP_MAILBOX_NOT_FOUND');
    expect(isMailplugError(error) && error.action).toBe('admin');
  });

  it('rejects calls after close with a developer error', async () => {
    const connection = await imap.connect(
      imapServer(emulator),
      passwordCredentials(USER, alicePassword(emulator)),
    );
    await connection.close();
    await connection.closed;
    const error = await connection.list().catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('IMAP_CONNECTION_CLOSED');
  });
});
