import net from 'node:net';
import type { CredentialSource, MailCredential, ServerSettings } from '@mailplug/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createPop3Protocol, type Pop3Connection } from '../src/index.js';

/**
 * Every read the client makes is bounded by `timeoutMs`: a server that stops talking at any point
 * (mid-line, mid-listing, mid-message, before a status line) ends in core's `TIMEOUT`, classified
 * `retry`, never in a pending promise. Each test has a generous vitest timeout; only the outcome
 * (rejects with the timeout error) is asserted, no wall-clock threshold.
 */

const TIMEOUT_MS = 150;
/** Cases that must log in first: long enough that a loaded machine cannot time out the setup. */
const LOGGED_IN_TIMEOUT_MS = 1_000;
const LIVENESS_MS = 10_000;

/** Replies per command word (`*` = any other line, e.g. a SASL response); `null` = say nothing. */
type Script = Record<string, string | null>;

const GOOD: Script = {
  CAPA: '+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n',
  USER: '+OK\r\n',
  PASS: '+OK\r\n',
  UIDL: '+OK\r\n1 uid-1\r\n.\r\n',
  LIST: '+OK\r\n1 10\r\n.\r\n',
  RETR: '+OK\r\nSubject: hi\r\n\r\nbody\r\n.\r\n',
  TOP: '+OK\r\nSubject: hi\r\n.\r\n',
  DELE: '+OK\r\n',
  RSET: '+OK\r\n',
  QUIT: '+OK bye\r\n',
};

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
afterEach(async () => {
  // Drop the server side too, so that a client that did hang fails this test, not the hook.
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

function listen(onSocket: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    onSocket(socket);
  });
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

const settingsFor = (port: number): ServerSettings => ({
  host: '127.0.0.1',
  port,
  security: 'none',
  allowInsecureAuth: true,
  timeoutMs: TIMEOUT_MS,
});

/** A real TCP POP3 peer on 127.0.0.1 that answers from `script` and then keeps the socket open. */
async function peer(script: Script, greeting = '+OK ready\r\n'): Promise<ServerSettings> {
  const port = await listen((socket) => {
    if (greeting) socket.write(greeting);
    let buffer = '';
    socket.on('data', (data) => {
      buffer += data.toString('latin1');
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const word = line.split(' ')[0] ?? '';
        const reply = word in script ? script[word] : script['*'];
        if (reply) socket.write(reply);
      }
    });
  });
  return settingsFor(port);
}

const password: CredentialSource = {
  getCredential: async (): Promise<MailCredential> => ({
    kind: 'password',
    user: 'u',
    password: 'pw-123456',
  }),
};
const oauth: CredentialSource = {
  getCredential: async (): Promise<MailCredential> => ({
    kind: 'oauth2',
    user: 'u@contoso.test',
    accessToken: 'token-1234567890',
    expiresAt: Date.now() + 3_600_000,
    scopes: [],
  }),
};

const pop3 = createPop3Protocol({ silenceDeprecation: true });

async function expectRetryTimeout(work: Promise<unknown>, timeoutMs = TIMEOUT_MS): Promise<void> {
  await expect(work).rejects.toMatchObject({ code: 'TIMEOUT', action: 'retry', details: { timeoutMs } });
}

describe('POP3 read deadlines', () => {
  it(
    'issue 11: greeting "+OK \\r\\n", CAPA answered "+OK\\n" (bare LF) and then silence: connect() rejects with the retry TIMEOUT',
    async () => {
      const port = await listen((socket) => {
        socket.write('+OK \r\n');
        socket.once('data', () => socket.write('+OK\n')); // the reply to CAPA, then nothing
      });
      const connecting = pop3.connect(settingsFor(port), password);
      await expectRetryTimeout(connecting);
      await expect(connecting).rejects.toThrow(/did not answer CAPA within 150 ms/);
    },
    LIVENESS_MS,
  );

  it.each<[string, Script, string?]>([
    ['the greeting (silent)', GOOD, ''],
    ['the greeting (a line without its end)', GOOD, '+OK hel'],
    ['the CAPA status line', { ...GOOD, CAPA: null }],
    ['the CAPA listing (no terminating dot)', { ...GOOD, CAPA: '+OK\r\nUSER\r\nUIDL' }],
    ['USER', { ...GOOD, USER: null }],
    ['PASS', { ...GOOD, PASS: null }],
    ['AUTH PLAIN (no continuation)', { ...GOOD, CAPA: '+OK\r\nSASL PLAIN\r\n.\r\n', AUTH: null }],
    [
      'AUTH PLAIN (no reply to the response)',
      { ...GOOD, CAPA: '+OK\r\nSASL PLAIN\r\n.\r\n', AUTH: '+ \r\n', '*': null },
    ],
  ])(
    'connect() rejects with the retry TIMEOUT when the server stops at %s',
    async (_, script, greeting) => {
      await expectRetryTimeout(pop3.connect(await peer(script, greeting), password));
    },
    LIVENESS_MS,
  );

  it.each<[string, Script]>([
    ['AUTH XOAUTH2 (no continuation)', { ...GOOD, CAPA: '+OK\r\nSASL XOAUTH2\r\n.\r\n', AUTH: null }],
    [
      'AUTH XOAUTH2 (no reply to the token)',
      { ...GOOD, CAPA: '+OK\r\nSASL XOAUTH2\r\n.\r\n', AUTH: '+ \r\n', '*': null },
    ],
  ])(
    'connect() with OAuth rejects with the retry TIMEOUT at %s',
    async (_, script) => {
      await expectRetryTimeout(pop3.connect(await peer(script), oauth));
    },
    LIVENESS_MS,
  );

  it.each<[string, Script]>([
    ['STLS', { ...GOOD, CAPA: '+OK\r\nSTLS\r\n.\r\n', STLS: null }],
    ['the TLS handshake after STLS', { ...GOOD, CAPA: '+OK\r\nSTLS\r\n.\r\n', STLS: '+OK begin TLS\r\n' }],
  ])(
    'a starttls connect() rejects with the retry TIMEOUT at %s',
    async (_, script) => {
      const settings = await peer(script);
      await expectRetryTimeout(pop3.connect({ ...settings, security: 'starttls' }, password));
    },
    LIVENESS_MS,
  );

  it.each<[string, Script, (c: Pop3Connection) => Promise<unknown>]>([
    ['UIDL (status)', { ...GOOD, UIDL: null }, (c) => c.list()],
    ['UIDL (listing cut off)', { ...GOOD, UIDL: '+OK\r\n1 uid-1\r\n' }, (c) => c.list()],
    ['LIST (status)', { ...GOOD, LIST: null }, (c) => c.list()],
    ['LIST (bare-LF listing cut off)', { ...GOOD, LIST: '+OK\n1 10\n' }, (c) => c.list()],
    [
      'pipelined UIDL + LIST (LIST cut off)',
      {
        ...GOOD,
        CAPA: '+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n',
        UIDL: '+OK\r\n1 uid-1\r\n.\r\n+OK\r\n1 10\r\n',
        LIST: null,
      },
      (c) => c.list(),
    ],
    ['RETR (status)', { ...GOOD, RETR: null }, (c) => c.fetch('uid-1')],
    [
      'RETR (message cut off mid-line)',
      { ...GOOD, RETR: '+OK\r\nSubject: hi\r\n\r\nbo' },
      (c) => c.fetch('uid-1'),
    ],
    ['RETR (bare "+OK\\n" and nothing else)', { ...GOOD, RETR: '+OK\n' }, (c) => c.fetch('uid-1')],
    ['TOP (body cut off)', { ...GOOD, TOP: '+OK\r\nSubject: hi\r\n' }, (c) => c.top('uid-1', 0)],
    ['DELE', { ...GOOD, DELE: null }, (c) => c.delete('uid-1')],
    ['RSET', { ...GOOD, RSET: null }, (c) => c.reset()],
    ['QUIT', { ...GOOD, QUIT: null }, (c) => c.close()],
  ])(
    'after login, %s rejects with the retry TIMEOUT when the server goes silent',
    async (_, script, run) => {
      const settings = { ...(await peer(script)), timeoutMs: LOGGED_IN_TIMEOUT_MS };
      const connection = await pop3.connect(settings, password);
      try {
        await expectRetryTimeout(run(connection), LOGGED_IN_TIMEOUT_MS);
      } finally {
        connection.dispose();
      }
    },
    LIVENESS_MS,
  );
});
