import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64, type MailFixture, rawClient, startFixture, xoauth2 } from './helpers.js';

let fixture: MailFixture;
beforeAll(async () => {
  fixture = await startFixture();
});
afterAll(async () => {
  await fixture.mail.close();
});

function transport(options: { secure: boolean; auth: Record<string, unknown> }) {
  const { mail, ca } = fixture;
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port: options.secure ? mail.ports.smtps : mail.ports.smtp,
    secure: options.secure,
    requireTLS: !options.secure,
    tls: { ca: ca.caCertPem, servername: 'localhost' },
    auth: options.auth,
  } as Parameters<typeof nodemailer.createTransport>[0]);
}

describe('SMTP server', () => {
  it('accepts XOAUTH2 over STARTTLS (verified with the local CA) and stores per recipient', async () => {
    const info = await transport({
      secure: false,
      auth: { type: 'OAuth2', user: 'ada@example.test', accessToken: 'google-ada' },
    }).sendMail({
      from: 'ada@example.test',
      to: ['carol@example.test', 'dan@example.test'],
      subject: 'oauth over starttls',
      text: 'hi',
    });
    expect(info.response).toMatch(/^250 2\.6\.0/);
    const [stored] = fixture.mail.store
      .list('carol@example.test')
      .filter((m) => m.subject === 'oauth over starttls');
    expect(stored?.envelope).toEqual({
      from: 'ada@example.test',
      to: ['carol@example.test', 'dan@example.test'],
    });
    expect(stored?.raw.toString()).toContain('hi');
    expect(fixture.mail.store.list('DAN@example.test').map((m) => m.subject)).toContain(
      'oauth over starttls',
    );
  });

  it('accepts PLAIN over implicit TLS', async () => {
    await transport({ secure: true, auth: { user: 'carol@example.test', pass: 'p@ss word' } }).sendMail({
      from: 'carol@example.test',
      to: 'ada@example.test',
      subject: 'plain over tls',
      text: 'hello',
    });
    expect(fixture.mail.store.list('ada@example.test').map((m) => m.subject)).toContain('plain over tls');
  });

  it('rejects a wrong password with 535', async () => {
    await expect(
      transport({ secure: true, auth: { user: 'carol@example.test', pass: 'nope' } }).verify(),
    ).rejects.toMatchObject({ responseCode: 535 });
  });

  it('lets an app-only token send for a permitted mailbox and answers 535 5.7.3 otherwise', async () => {
    await transport({
      secure: true,
      auth: { type: 'OAuth2', user: 'shared@contoso.test', accessToken: 'ms-app' },
    }).sendMail({ from: 'shared@contoso.test', to: 'bob@contoso.test', subject: 'from app', text: 'x' });
    expect(fixture.mail.store.list('bob@contoso.test').map((m) => m.subject)).toContain('from app');
    const error = await transport({
      secure: true,
      auth: { type: 'OAuth2', user: 'ceo@contoso.test', accessToken: 'ms-app' },
    })
      .verify()
      .catch((e: Error & { response?: string }) => e);
    expect((error as { response?: string }).response).toBe('535 5.7.3 Authentication unsuccessful');
  });

  it('answers a bad XOAUTH2 token with the 334 JSON challenge and then 535', async () => {
    const client = await rawClient(fixture.mail.ports.smtps, { tlsCa: fixture.ca.caCertPem });
    await client.line();
    client.send('EHLO test');
    await client.until((line) => line.startsWith('250 '));
    client.send(`AUTH XOAUTH2 ${xoauth2('ada@example.test', 'not-a-token')}`);
    const challenge = await client.line();
    expect(challenge).toMatch(/^334 /);
    const decoded = Buffer.from(challenge.slice(4), 'base64').toString();
    expect(JSON.parse(decoded)).toMatchObject({ status: '401' });
    expect(decoded).not.toContain('not-a-token');
    client.send('');
    const final = await client.line();
    expect(final).toMatch(/^535 /);
    expect(final).not.toContain('not-a-token');
    client.end();
  });

  it('checks the Microsoft SMTP.Send scope and that user= matches the token', async () => {
    const client = await rawClient(fixture.mail.ports.smtps, { tlsCa: fixture.ca.caCertPem });
    await client.line();
    client.send('EHLO test');
    await client.until((line) => line.startsWith('250 '));
    client.send(`AUTH XOAUTH2 ${xoauth2('eve@contoso.test', 'ms-bob')}`);
    expect(await client.line()).toBe('535 5.7.3 Authentication unsuccessful');
    client.send(`AUTH XOAUTH2 ${xoauth2('bob@contoso.test', 'ms-bob-smtp-only')}`);
    expect(await client.line()).toBe('235 Authentication successful');
    client.end();
  });

  it('answers a natural 501 5.5.127 for a token that expires within a minute', async () => {
    const error = await transport({
      secure: true,
      auth: { type: 'OAuth2', user: 'bob@contoso.test', accessToken: 'ms-bob-expiring' },
    })
      .verify()
      .catch((e: Error & { response?: string }) => e);
    expect((error as { response?: string }).response).toMatch(/^501 5\.5\.127 .*expire soon/);
  });

  it('replays scripted Microsoft replies verbatim', async () => {
    const { script, ports } = fixture.mail;
    script.smtpAuthDisabled('bob@contoso.test');
    const client = await rawClient(ports.smtps, { tlsCa: fixture.ca.caCertPem });
    await client.line();
    client.send('EHLO test');
    await client.until((line) => line.startsWith('250 '));
    client.send(`AUTH XOAUTH2 ${xoauth2('bob@contoso.test', 'ms-bob')}`);
    expect(await client.line()).toBe(
      '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
    );
    script.tokenExpiringSoon();
    client.send(`AUTH PLAIN ${b64('\0carol@example.test\0p@ss word')}`);
    expect(await client.line()).toMatch(/^501 5\.5\.127 /);
    client.send(`AUTH PLAIN ${b64('\0carol@example.test\0p@ss word')}`);
    expect(await client.line()).toBe('235 Authentication successful');
    script.next({
      protocol: 'smtp',
      stage: 'rcpt',
      reply: '550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found',
    });
    client.send('MAIL FROM:<carol@example.test>');
    expect(await client.line()).toMatch(/^250 /);
    client.send('RCPT TO:<ghost@example.test>');
    expect(await client.line()).toBe('550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found');
    expect(script.pending()).toEqual([]);
    client.end();
  });

  it('answers MAIL FROM without authentication with 530 5.7.57, and refuses foreign senders', async () => {
    const client = await rawClient(fixture.mail.ports.smtps, { tlsCa: fixture.ca.caCertPem });
    await client.line();
    client.send('EHLO test');
    await client.until((line) => line.startsWith('250 '));
    client.send('MAIL FROM:<carol@example.test>');
    expect(await client.line()).toBe('530 5.7.57 Client not authenticated to send mail');
    client.send(`AUTH PLAIN ${b64('\0carol@example.test\0p@ss word')}`);
    await client.line();
    client.send('MAIL FROM:<ceo@example.test>');
    expect(await client.line()).toMatch(/^550 5\.7\.60 /);
    client.send('QUIT');
    client.end();
  });

  it('answers garbage and malformed AUTH with errors and keeps serving', async () => {
    const client = await rawClient(fixture.mail.ports.smtps, { tlsCa: fixture.ca.caCertPem });
    await client.line();
    client.send('EHLO test');
    await client.until((line) => line.startsWith('250 '));
    for (const bad of [
      'FROBNICATE',
      'AUTH XOAUTH2 !!!notbase64',
      'AUTH PLAIN AAAA',
      'RCPT TO:<x@example.test>',
    ]) {
      client.send(bad);
      expect(await client.line()).toMatch(/^5\d\d /);
    }
    client.send('NOOP');
    expect(await client.line()).toMatch(/^250 /);
    client.end();
  });
});
