import { createServer, connect as netConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { decodeOauthBearer, decodePlain, decodeXoauth2 } from '../../src/mail/auth.js';
import { createMailStore, startMailServers } from '../../src/mail/index.js';
import { b64, inMemoryCa, rawClient, startFixture } from './helpers.js';

const canListen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

describe('startMailServers lifecycle', () => {
  it('close() drops open sessions and frees every port', async () => {
    const { mail } = await startFixture();
    const ports = Object.values(mail.ports);
    expect(new Set(ports).size).toBe(6);
    const imap = await rawClient(mail.ports.imap);
    await imap.line();
    const pop = await rawClient(mail.ports.pop3);
    await pop.line();
    await mail.close();
    await Promise.all([imap.closed(), pop.closed()]);
    for (const port of ports) {
      expect(await refused(port)).toBe(true);
      expect(await canListen(port)).toBe(true);
    }
  });

  it('survives TLS clients that do not trust the CA and keeps serving', async () => {
    const { mail, ca } = await startFixture();
    await expect(rawClient(mail.ports.imaps, { tlsCa: (await inMemoryCa()).caCertPem })).rejects.toThrow();
    const ok = await rawClient(mail.ports.imaps, { tlsCa: ca.caCertPem });
    expect(await ok.line()).toMatch(/^\* OK /);
    ok.end();
    await mail.close();
  });

  it('rejects when a port is taken and releases the ports it had opened', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    const ca = await inMemoryCa();
    await expect(
      startMailServers({
        tls: ca.issueServerCert([]),
        validateToken: async () => ({
          active: false,
          flavour: 'google',
          appOnly: false,
          scopes: [],
          roles: [],
        }),
        ports: { imaps: taken },
      }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await new Promise((resolve) => blocker.close(resolve));
  });
});

describe('MailStore', () => {
  it('keeps messages per recipient with uid, size, flags, envelope and decoded subject', () => {
    const store = createMailStore();
    const raw = 'From: a@example.test\r\nSubject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n\r\nbody\r\n';
    const first = store.deliver('Carol@Example.test', raw, {
      envelope: { from: 'a@example.test', to: ['carol@example.test'] },
    });
    const second = store.deliver('carol@example.test', 'Subject: two\r\n\r\n');
    expect(first).toMatchObject({
      uid: 1,
      size: Buffer.byteLength(raw),
      subject: 'Grüße',
      mailbox: 'carol@example.test',
    });
    expect(first.flags.size).toBe(0);
    expect(second.uid).toBe(2);
    expect(second.envelope).toEqual({ from: '', to: ['carol@example.test'] });
    expect(store.list('CAROL@example.test').map((m) => m.uid)).toEqual([1, 2]);
    expect(store.all()).toHaveLength(2);
    store.remove([first]);
    expect(store.list('carol@example.test').map((m) => m.uid)).toEqual([2]);
    expect(store.deliver('carol@example.test', 'x').uid).toBe(3); // UIDs are never reused
  });
});

describe('SASL decoding', () => {
  it('decodes XOAUTH2, OAUTHBEARER and PLAIN and refuses malformed input', () => {
    expect(decodeXoauth2(b64('user=a@b.test\x01auth=Bearer tok\x01\x01'))).toEqual({
      user: 'a@b.test',
      token: 'tok',
    });
    expect(
      decodeOauthBearer(b64('n,a=a=2Cb@c.test,\x01host=x\x01port=1\x01auth=Bearer tok\x01\x01')),
    ).toEqual({
      user: 'a,b@c.test',
      token: 'tok',
    });
    expect(decodePlain(b64('\0user\0pass word'))).toEqual({
      authzid: '',
      user: 'user',
      password: 'pass word',
    });
    expect(decodeXoauth2('!!!')).toBeNull();
    expect(decodeXoauth2(b64('user=a@b.test\x01\x01'))).toBeNull();
    expect(decodePlain(b64('only-one-part'))).toBeNull();
  });
});
