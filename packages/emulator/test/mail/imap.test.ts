import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MailFixture, rawClient, sampleMessage, startFixture, xoauth2 } from './helpers.js';

let fixture: MailFixture;
beforeAll(async () => {
  fixture = await startFixture();
});
afterAll(async () => {
  await fixture.mail.close();
});

function client(
  auth: { user: string; accessToken?: string; pass?: string },
  secure = true,
  onDebug: (entry: { msg?: string }) => void = () => {},
) {
  const { mail, ca } = fixture;
  const quiet = () => {};
  const logger = { trace: quiet, debug: onDebug, info: quiet, warn: quiet, error: quiet };
  return new ImapFlow({
    host: '127.0.0.1',
    port: secure ? mail.ports.imaps : mail.ports.imap,
    secure,
    doSTARTTLS: secure ? undefined : true,
    tls: { ca: ca.caCertPem, servername: 'localhost' },
    auth,
    logger,
  } as ConstructorParameters<typeof ImapFlow>[0]);
}

describe('IMAP server with imapflow', () => {
  it('lists, fetches, flags, moves and expunges with an OAuth token', async () => {
    const { store } = fixture.mail;
    store.deliver('ada@example.test', sampleMessage('imap one'));
    store.deliver('ada@example.test', sampleMessage('imap two', 'Second body\r\n'));
    const imap = client({ user: 'ada@example.test', accessToken: 'google-ada' });
    await imap.connect();
    const folders = await imap.list();
    expect(folders.map((f) => f.path)).toEqual(expect.arrayContaining(['INBOX', 'Sent', 'Trash']));
    expect(folders.find((f) => f.path === 'Sent')?.specialUse).toBe('\\Sent');

    const status = await imap.status('INBOX', { messages: true, unseen: true, uidNext: true });
    if (!status) throw new Error('STATUS failed');
    expect(status.messages).toBeGreaterThanOrEqual(2);

    const lock = await imap.getMailboxLock('INBOX');
    try {
      const unseen = await imap.search({ seen: false }, { uid: true });
      expect(Array.isArray(unseen) && unseen.length).toBeGreaterThanOrEqual(2);
      const fetched = [];
      for await (const message of imap.fetch('1:*', {
        uid: true,
        flags: true,
        envelope: true,
        size: true,
        source: true,
        internalDate: true,
      })) {
        fetched.push(message);
      }
      const two = fetched.find((m) => m.envelope?.subject === 'imap two');
      expect(two?.envelope?.from?.[0]).toEqual({ name: 'Ada Lovelace', address: 'ada@example.test' });
      expect(two?.source?.toString()).toContain('Second body');
      expect(two?.size).toBe(two?.source?.length);

      const headerOnly = await imap.fetchOne(String(two?.uid), { headers: ['subject'] }, { uid: true });
      expect(headerOnly ? headerOnly.headers?.toString() : undefined).toMatch(/^Subject: imap two\r\n/);

      await imap.messageFlagsAdd(String(two?.uid), ['\\Seen', '\\Flagged'], { uid: true });
      expect([
        ...(store.list('ada@example.test').find((m) => m.subject === 'imap two')?.flags ?? []),
      ]).toEqual(expect.arrayContaining(['\\Seen', '\\Flagged']));
      const seen = await imap.search({ seen: true }, { uid: true });
      expect(seen).toContain(two?.uid);
      await imap.messageFlagsRemove(String(two?.uid), ['\\Flagged'], { uid: true });

      const moved = await imap.messageMove(String(two?.uid), 'Trash', { uid: true });
      expect(moved ? moved.uidMap?.size : 0).toBe(1);
      expect(store.list('ada@example.test', 'Trash').map((m) => m.subject)).toContain('imap two');
      expect(store.list('ada@example.test').map((m) => m.subject)).not.toContain('imap two');

      const one = store.list('ada@example.test').find((m) => m.subject === 'imap one');
      expect(await imap.messageDelete(String(one?.uid), { uid: true })).toBe(true);
      expect(store.list('ada@example.test').map((m) => m.subject)).not.toContain('imap one');
    } finally {
      lock.release();
    }
    await imap.logout();
  });

  it('logs in with a password over STARTTLS and gets an IDLE EXISTS push on delivery', async () => {
    let idleAcknowledged!: () => void;
    const acknowledged = new Promise<void>((resolve) => {
      idleAcknowledged = resolve;
    });
    const imap = client({ user: 'carol@example.test', pass: 'p@ss word' }, false, (entry) => {
      if (entry.msg?.startsWith('Initiated IDLE')) idleAcknowledged();
    });
    await imap.connect();
    // Connected to the plain port, so an encrypted socket proves the STARTTLS upgrade.
    expect((imap as unknown as { socket: { encrypted?: boolean } }).socket.encrypted).toBe(true);
    const mailbox = await imap.mailboxOpen('INBOX');
    const before = mailbox.exists;
    const exists = new Promise<{ count: number; prevCount: number }>((resolve) => imap.on('exists', resolve));
    const idling = imap.idle();
    // Deliver only after the server has answered "+ idling", so the EXISTS can only be a push.
    await acknowledged;
    fixture.mail.store.deliver('carol@example.test', sampleMessage('pushed'));
    const event = await exists;
    expect(event).toMatchObject({ count: before + 1, prevCount: before });
    await imap.logout();
    await idling.catch(() => undefined);
  });

  it('refuses tokens without the IMAP scope after a SASL error challenge', async () => {
    const imap = client({ user: 'bob@contoso.test', accessToken: 'ms-bob-smtp-only' });
    imap.on('error', () => {});
    await expect(imap.connect()).rejects.toMatchObject({ authenticationFailed: true });
    const raw = await rawClient(fixture.mail.ports.imaps, { tlsCa: fixture.ca.caCertPem });
    await raw.line();
    raw.send(`a1 AUTHENTICATE XOAUTH2 ${xoauth2('bob@contoso.test', 'ms-bob-smtp-only')}`);
    const challenge = await raw.line();
    expect(challenge).toMatch(/^\+ /);
    expect(JSON.parse(Buffer.from(challenge.slice(2), 'base64').toString())).toMatchObject({ status: '401' });
    raw.send('');
    expect(await raw.line()).toMatch(/^a1 NO /);
    raw.send(`a2 AUTHENTICATE XOAUTH2 ${xoauth2('bob@contoso.test', 'ms-bob')}`);
    expect(await raw.line()).toBe('a2 OK AUTHENTICATE completed.');
    raw.end();
  });

  it('supports AUTHENTICATE with continuation and app-only tokens for permitted mailboxes', async () => {
    const raw = await rawClient(fixture.mail.ports.imaps, { tlsCa: fixture.ca.caCertPem });
    await raw.line();
    raw.send('a1 AUTHENTICATE XOAUTH2');
    expect(await raw.line()).toBe('+ ');
    raw.send(xoauth2('shared@contoso.test', 'ms-app'));
    expect(await raw.line()).toBe('a1 OK AUTHENTICATE completed.');
    raw.send('a2 SELECT INBOX');
    const lines = await raw.until((line) => line.startsWith('a2 '));
    expect(lines).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\* OK \[UIDVALIDITY \d+\]/), '* 0 EXISTS']),
    );
    expect(lines.at(-1)).toBe('a2 OK [READ-WRITE] SELECT completed.');
    raw.send('a3 LOGOUT');
    expect(await raw.until((line) => line.startsWith('a3 '))).toEqual([
      '* BYE Mailplug emulator logging out.',
      'a3 OK LOGOUT completed.',
    ]);
  });

  it('answers malformed and out-of-state commands with BAD/NO and keeps serving', async () => {
    const raw = await rawClient(fixture.mail.ports.imap);
    await raw.line();
    raw.send('');
    raw.send('a1 SELECT INBOX');
    expect(await raw.line()).toMatch(/^a1 BAD /);
    raw.send('a2 LOGIN carol@example.test wrong');
    expect(await raw.line()).toMatch(/^a2 NO \[AUTHENTICATIONFAILED\]/);
    raw.send('a3 LOGIN {18}');
    expect(await raw.line()).toBe('+ Ready for literal data');
    raw.send('carol@example.test {9+}');
    raw.writeRaw('p@ss word\r\n');
    expect(await raw.line()).toBe('a3 OK LOGIN completed.');
    for (const [tag, command] of [
      ['b1', 'FETCH 1 (FLAGS)'],
      ['b2', 'FROBNICATE'],
      ['b3', 'SELECT "unterminated'],
      ['b4', 'LIST'],
      ['b5', 'STATUS INBOX'],
    ]) {
      raw.send(`${tag} ${command}`);
      expect(await raw.line()).toMatch(new RegExp(`^${tag} BAD `));
    }
    raw.send('c1 SELECT Nowhere');
    expect(await raw.line()).toMatch(/^c1 NO /);
    raw.send('c2 SELECT INBOX');
    await raw.until((line) => line.startsWith('c2 '));
    for (const [tag, command] of [
      ['d1', 'FETCH x:y (FLAGS)'],
      ['d2', 'FETCH 1 (NONSENSE)'],
      ['d3', 'UID SEARCH FROBBED'],
      ['d4', 'STORE 1 WIBBLE (\\Seen)'],
      ['d5', 'UID'],
    ]) {
      raw.send(`${tag} ${command}`);
      expect(await raw.line()).toMatch(new RegExp(`^${tag} BAD `));
    }
    raw.send('e1 NOOP');
    expect(await raw.until((line) => line.startsWith('e1 '))).toContain('e1 OK NOOP completed.');
    raw.end();
  });
});
