import { isMailplugError } from '@mailplug/core';
import type { Emulator } from '@mailplug/emulator';
import { passwordCredentials } from '@mailplug/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createImapProtocol, DEFAULT_MAX_MESSAGE_BYTES } from '../src/index.js';
import { alicePassword, imapServer, message, startImapEmulator, USER } from './helpers.js';
import { type ImapWireTap, startImapWireTap } from './wire-tap.js';

const imap = createImapProtocol({ silenceDeprecation: true });
let emulator: Emulator;
let taps: ImapWireTap[] = [];
const store = () => {
  if (!emulator.mail) throw new Error('no mail store');
  return emulator.mail;
};
const tap = async (options?: Parameters<typeof startImapWireTap>[1]) => {
  const started = await startImapWireTap(imapServer(emulator), options);
  taps.push(started);
  return started;
};
const connect = (t: ImapWireTap) =>
  imap.connect(t.server, passwordCredentials(USER, alicePassword(emulator)));
/** FETCH commands on the wire since `from` (list() uses a sequence-set FETCH, fetch() UID FETCH). */
const uidFetches = (t: ImapWireTap, from = 0) => t.commands.slice(from).filter((c) => /^UID FETCH /i.test(c));

beforeAll(async () => {
  emulator = await startImapEmulator();
});
afterAll(() => emulator?.stop());
beforeEach(() => store().clear());
afterEach(async () => {
  await Promise.all(taps.map((t) => t.close()));
  taps = [];
});

describe('IMAP fetch round trips, counted on the wire', () => {
  it('after list(), each fetch is one UID FETCH of a capped BODY.PEEK[] and returns the exact bytes', async () => {
    const subjects = ['m1', 'm2', 'm3', 'm4', 'm5'];
    for (const s of subjects) store().deliver(USER, message(s, `body of ${s} `.repeat(20)));
    const wire = await tap();
    const connection = await connect(wire);
    try {
      const list = await connection.list();
      const before = wire.commands.length;
      const fetched = [];
      for (const { id } of list) fetched.push(Buffer.from(await connection.fetch(id, { maxBytes: 100_000 })));
      const fetches = uidFetches(wire, before);
      expect(fetches).toHaveLength(subjects.length);
      for (const command of fetches) expect(command).toMatch(/BODY\.PEEK\[\]<0\.100001>/i);
      expect(fetched.map((b) => b.toString('latin1'))).toEqual(
        store()
          .list(USER)
          .map((m) => Buffer.from(m.raw).toString('latin1')),
      );
      expect(
        store()
          .list(USER)
          .some((m) => m.flags.has('\\Seen')),
      ).toBe(false);

      // A limit beyond the protocol's maxMessageBytes (default 25 MiB) is clamped to it: the parser
      // limits are sized from it, so a larger literal could never be received (still one FETCH).
      const at = wire.commands.length;
      expect((await connection.fetch(list[0]?.id ?? '', { maxBytes: 2 ** 40 })).byteLength).toBe(
        fetched[0]?.byteLength,
      );
      expect(uidFetches(wire, at)).toHaveLength(1);
      expect(uidFetches(wire, at)[0]).toContain(`BODY.PEEK[]<0.${DEFAULT_MAX_MESSAGE_BYTES + 1}>`);
    } finally {
      await connection.close();
    }
  });

  it('refuses a listed message above maxBytes without sending any FETCH', async () => {
    store().deliver(USER, message('big', 'x'.repeat(5000)));
    const wire = await tap();
    const connection = await connect(wire);
    try {
      const [big] = await connection.list();
      const before = wire.commands.length;
      const error = await connection.fetch(big?.id ?? '', { maxBytes: 1000 }).catch((e: unknown) => e);
      expect(isMailplugError(error) && error.code).toBe('IMAP_MESSAGE_TOO_LARGE');
      expect(isMailplugError(error) && error.message).toMatch(/is \d+ bytes, more than the 1000 bytes/);
      expect(wire.commands.slice(before)).toEqual([]);
      // Exactly at the limit is allowed: the capped body (<0.size+1>) comes back whole.
      const size = big?.size ?? 0;
      expect(size).toBeGreaterThan(5000);
      expect((await connection.fetch(big?.id ?? '', { maxBytes: size })).byteLength).toBe(size);
      expect(uidFetches(wire, before)).toEqual([expect.stringContaining(`BODY.PEEK[]<0.${size + 1}>`)]);
    } finally {
      await connection.close();
    }
  });

  it('an id this connection never listed costs one size FETCH first, so an oversized one is still not downloaded', async () => {
    store().deliver(USER, message('big', 'x'.repeat(5000)));
    store().deliver(USER, message('small'));
    const lister = await connect(await tap());
    const [big, small] = await lister.list();
    await lister.close();

    const wire = await tap();
    const connection = await connect(wire);
    try {
      const error = await connection.fetch(big?.id ?? '', { maxBytes: 1000 }).catch((e: unknown) => e);
      expect(isMailplugError(error) && error.code).toBe('IMAP_MESSAGE_TOO_LARGE');
      expect(uidFetches(wire)).toHaveLength(1);
      expect(uidFetches(wire)[0]).toMatch(/RFC822\.SIZE/i);
      expect(uidFetches(wire)[0]).not.toMatch(/BODY/i);
      expect(wire.literals).toEqual([]);

      // Unknown size: size, then body. Known size (learnt above): the body only.
      expect(Buffer.from(await connection.fetch(small?.id ?? '')).toString()).toContain('Subject: small');
      expect(uidFetches(wire)).toHaveLength(3);
      await connection.fetch(big?.id ?? '', { maxBytes: 10_000 });
      expect(uidFetches(wire)).toHaveLength(4);
    } finally {
      await connection.close();
    }
  });

  it('a server that understates RFC822.SIZE cannot push more than maxBytes + 1 bytes, and the message is refused, not truncated', async () => {
    store().deliver(USER, message('liar', 'y'.repeat(5000)));
    store().deliver(USER, message('after'));
    const wire = await tap({
      rewriteServerLine: (line) => line.replace(/RFC822\.SIZE \d+/i, 'RFC822.SIZE 10'),
    });
    const connection = await connect(wire);
    try {
      const [liar, after] = await connection.list();
      expect(liar?.size).toBe(10);
      const error = await connection.fetch(liar?.id ?? '', { maxBytes: 1000 }).catch((e: unknown) => e);
      expect(isMailplugError(error) && error.code).toBe('IMAP_MESSAGE_TOO_LARGE');
      expect(isMailplugError(error) && error.message).toMatch(
        /larger than the 1000 bytes allowed \(the server listed 10 bytes\)/,
      );
      expect(wire.literals).toEqual([1001]);
      // The reply was read to its end: the connection goes on.
      expect(Buffer.from(await connection.fetch(after?.id ?? '')).toString()).toContain('Subject: after');
    } finally {
      await connection.close();
    }
  });

  it('a listed message that is gone when fetched is reported as not found, and its size is forgotten', async () => {
    store().deliver(USER, message('gone'));
    // Make every UID FETCH ask for a UID that does not exist, as if the message had been expunged.
    let vanish = false;
    const wire = await tap({
      rewriteClientLine: (line) => (vanish ? line.replace(/UID FETCH \d+/i, 'UID FETCH 999999') : line),
    });
    const connection = await connect(wire);
    try {
      const [gone] = await connection.list();
      vanish = true;
      const before = wire.commands.length;
      const error = await connection.fetch(gone?.id ?? '').catch((e: unknown) => e);
      expect(isMailplugError(error) && error.code).toBe('IMAP_MESSAGE_NOT_FOUND');
      expect(uidFetches(wire, before)).toHaveLength(1);
      expect(uidFetches(wire, before)[0]).toMatch(/BODY\.PEEK/i);
      // Forgotten: the next attempt asks for the size instead of trusting the old listing.
      const again = await connection.fetch(gone?.id ?? '').catch((e: unknown) => e);
      expect(isMailplugError(again) && again.code).toBe('IMAP_MESSAGE_NOT_FOUND');
      expect(uidFetches(wire, before)).toHaveLength(2);
      expect(uidFetches(wire, before)[1]).toMatch(/RFC822\.SIZE/i);
      expect(uidFetches(wire, before)[1]).not.toMatch(/BODY/i);
    } finally {
      await connection.close();
    }
  });

  it('delete() forgets the listed size: a later fetch of that id asks the server and finds nothing', async () => {
    store().deliver(USER, message('deleted'));
    const wire = await tap();
    const connection = await connect(wire);
    try {
      const [deleted] = await connection.list();
      await connection.delete(deleted?.id ?? '');
      const before = wire.commands.length;
      const error = await connection.fetch(deleted?.id ?? '').catch((e: unknown) => e);
      expect(isMailplugError(error) && error.code).toBe('IMAP_MESSAGE_NOT_FOUND');
      expect(uidFetches(wire, before)).toHaveLength(1);
      expect(uidFetches(wire, before)[0]).not.toMatch(/BODY/i);
    } finally {
      await connection.close();
    }
  });
});
