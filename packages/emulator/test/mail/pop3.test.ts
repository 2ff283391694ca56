import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dotStuff } from '../../src/mail/pop3.js';
import {
  b64,
  type MailFixture,
  type RawClient,
  rawClient,
  sampleMessage,
  startFixture,
  xoauth2,
} from './helpers.js';

let fixture: MailFixture;
beforeAll(async () => {
  fixture = await startFixture();
});
afterAll(async () => {
  await fixture.mail.close();
});

const multiline = (client: RawClient) => client.until((line) => line === '.');

describe('POP3 server', () => {
  it('advertises capabilities including STLS on the plain port only', async () => {
    const plain = await rawClient(fixture.mail.ports.pop3);
    expect(await plain.line()).toMatch(/^\+OK /);
    plain.send('CAPA');
    const caps = await multiline(plain);
    expect(caps).toEqual(
      expect.arrayContaining([
        'TOP',
        'UIDL',
        'USER',
        'SASL PLAIN XOAUTH2',
        'STLS',
        'RESP-CODES',
        'AUTH-RESP-CODE',
      ]),
    );
    plain.end();
    const secure = await rawClient(fixture.mail.ports.pop3s, { tlsCa: fixture.ca.caCertPem });
    await secure.line();
    secure.send('CAPA');
    expect(await multiline(secure)).not.toContain('STLS');
    secure.end();
  });

  it('reads a message with Microsoft two-step AUTH XOAUTH2 after STLS, with dot-stuffing', async () => {
    const { store, ports } = fixture.mail;
    store.deliver(
      'bob@contoso.test',
      sampleMessage('pop hello', '.leading dot\r\nline two\r\n..two dots\r\n'),
    );
    const client = await rawClient(ports.pop3);
    await client.line();
    client.send('STLS');
    expect(await client.line()).toMatch(/^\+OK/);
    await client.startTls(fixture.ca.caCertPem);
    client.send('AUTH XOAUTH2');
    expect(await client.line()).toBe('+ ');
    client.send(xoauth2('bob@contoso.test', 'ms-bob'));
    expect(await client.line()).toMatch(/^\+OK Logged in/);
    client.send('STAT');
    expect(await client.line()).toMatch(/^\+OK 1 \d+$/);
    client.send('RETR 1');
    const lines = await multiline(client);
    expect(lines[0]).toMatch(/^\+OK \d+ octets$/);
    expect(lines).toContain('Subject: pop hello');
    expect(lines).toContain('..leading dot');
    expect(lines).toContain('...two dots');
    client.send('TOP 1 1');
    const top = await multiline(client);
    expect(top).toContain('Subject: pop hello');
    expect(top).toContain('..leading dot');
    expect(top).not.toContain('line two');
    client.send('QUIT');
    expect(await client.line()).toBe('+OK Bye.');
  });

  it('commits DELE only at QUIT; a dropped connection or RSET keeps the message', async () => {
    const { store, ports } = fixture.mail;
    store.deliver('carol@example.test', sampleMessage('pop dele 1'));
    store.deliver('carol@example.test', sampleMessage('pop dele 2'));
    const count = () => store.list('carol@example.test').length;
    const before = count();

    const login = async () => {
      const client = await rawClient(ports.pop3s, { tlsCa: fixture.ca.caCertPem });
      await client.line();
      client.send('USER carol@example.test');
      expect(await client.line()).toBe('+OK');
      client.send('PASS p@ss word');
      expect(await client.line()).toMatch(/^\+OK/);
      return client;
    };

    const dropped = await login();
    dropped.send('DELE 1');
    expect(await dropped.line()).toMatch(/^\+OK/);
    dropped.end();
    await dropped.closed();

    const reset = await login();
    reset.send('DELE 1');
    await reset.line();
    reset.send('LIST 1');
    expect(await reset.line()).toMatch(/^-ERR/);
    reset.send('RSET');
    await reset.line();
    reset.send('QUIT');
    await reset.line();
    expect(count()).toBe(before);

    const committing = await login();
    committing.send('UIDL');
    const uidl = await multiline(committing);
    expect(uidl.length).toBe(before + 2);
    committing.send('DELE 1');
    await committing.line();
    expect(count()).toBe(before);
    committing.send('QUIT');
    await committing.line();
    expect(count()).toBe(before - 1);
  });

  it('locks the mailbox against a second session with [IN-USE]', async () => {
    const first = await rawClient(fixture.mail.ports.pop3s, { tlsCa: fixture.ca.caCertPem });
    await first.line();
    first.send(`AUTH PLAIN ${b64('\0ada@example.test\0ada-pass')}`);
    expect(await first.line()).toMatch(/^\+OK/);
    const second = await rawClient(fixture.mail.ports.pop3s, { tlsCa: fixture.ca.caCertPem });
    await second.line();
    second.send('AUTH PLAIN');
    expect(await second.line()).toBe('+ ');
    second.send(b64('\0ada@example.test\0ada-pass'));
    expect(await second.line()).toMatch(/^-ERR \[IN-USE\]/);
    first.send('QUIT');
    await first.line();
    second.send(`AUTH PLAIN ${b64('\0ada@example.test\0ada-pass')}`);
    expect(await second.line()).toMatch(/^\+OK/);
    second.end();
  });

  it('checks the POP scope/role and answers -ERR [AUTH]; scripted [SYS/TEMP] arrives verbatim', async () => {
    const client = await rawClient(fixture.mail.ports.pop3s, { tlsCa: fixture.ca.caCertPem });
    await client.line();
    client.send(`AUTH XOAUTH2 ${xoauth2('bob@contoso.test', 'ms-bob-smtp-only')}`);
    expect(await client.line()).toMatch(/^-ERR \[AUTH\] /);
    client.send(`AUTH XOAUTH2 ${xoauth2('ceo@contoso.test', 'ms-app')}`);
    expect(await client.line()).toMatch(/^-ERR \[AUTH\] /);
    fixture.mail.script.pop3TemporaryFailure('shared@contoso.test');
    client.send(`AUTH XOAUTH2 ${xoauth2('shared@contoso.test', 'ms-app')}`);
    expect(await client.line()).toBe(
      '-ERR [SYS/TEMP] The server is temporarily unavailable, try again later.',
    );
    client.send(`AUTH XOAUTH2 ${xoauth2('shared@contoso.test', 'ms-app')}`);
    expect(await client.line()).toMatch(/^\+OK/);
    client.end();
  });

  it('answers bad commands with -ERR and keeps serving', async () => {
    const client = await rawClient(fixture.mail.ports.pop3);
    await client.line();
    for (const bad of ['RETR 1', 'FOO', '', 'AUTH CRAM-MD5', 'PASS x', `USER ${'x'.repeat(70_000)}`]) {
      client.send(bad);
      expect(await client.line()).toMatch(/^-ERR/);
    }
    client.send('USER carol@example.test');
    await client.line();
    client.send('PASS p@ss word');
    await client.line();
    for (const bad of ['RETR 999', 'RETR x', 'TOP 1', 'DELE 0', 'LIST -1', 'BOGUS']) {
      client.send(bad);
      expect(await client.line()).toMatch(/^-ERR/);
    }
    client.send('NOOP');
    expect(await client.line()).toBe('+OK');
    client.end();
  });

  it('dot-stuffs and terminates bodies without a trailing newline', () => {
    expect(dotStuff(Buffer.from('a\n.b'))).toBe('a\r\n..b\r\n.\r\n');
  });
});
