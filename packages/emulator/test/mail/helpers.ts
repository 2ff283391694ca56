import { connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { type MailServers, startMailServers, type TokenInfo } from '../../src/mail/index.js';
import { createLocalCa, type LocalCa } from '../../src/tls/index.js';

const HOUR = 3600_000;

/** Fake introspection: the identity half is tested separately; these mirror its token shapes. */
export function fakeTokens(): Record<string, TokenInfo> {
  const expiresAt = Date.now() + HOUR;
  return {
    'google-ada': {
      active: true,
      flavour: 'google',
      appOnly: false,
      username: 'ada@example.test',
      scopes: ['https://mail.google.com/', 'openid', 'email'],
      roles: [],
      expiresAt,
    },
    'ms-bob': {
      active: true,
      flavour: 'microsoft',
      appOnly: false,
      username: 'bob@contoso.test',
      scopes: ['https://outlook.office.com/SMTP.Send', 'IMAP.AccessAsUser.All', 'POP.AccessAsUser.All'],
      roles: [],
      expiresAt,
    },
    'ms-bob-smtp-only': {
      active: true,
      flavour: 'microsoft',
      appOnly: false,
      username: 'bob@contoso.test',
      scopes: ['SMTP.Send'],
      roles: [],
      expiresAt,
    },
    'ms-app': {
      active: true,
      flavour: 'microsoft',
      appOnly: true,
      clientId: 'app-1',
      scopes: [],
      roles: ['SMTP.SendAsApp', 'IMAP.AccessAsApp', 'POP.AccessAsApp'],
      expiresAt,
    },
    'ms-bob-expiring': {
      active: true,
      flavour: 'microsoft',
      appOnly: false,
      username: 'bob@contoso.test',
      scopes: ['SMTP.Send'],
      roles: [],
      expiresAt: Date.now() + 30_000,
    },
  };
}

export interface MailFixture {
  ca: LocalCa;
  mail: MailServers;
}

/** A CA whose PEM the tests keep in memory; its `ca.pem` file is removed at once (nothing reads it). */
export async function inMemoryCa(): Promise<LocalCa> {
  const ca = await createLocalCa();
  await ca.dispose();
  return ca;
}

export async function startFixture(): Promise<MailFixture> {
  const ca = await inMemoryCa();
  const tokens = fakeTokens();
  const mail = await startMailServers({
    tls: ca.issueServerCert(['localhost']),
    validateToken: async (token) =>
      tokens[token] ?? { active: false, flavour: 'microsoft', appOnly: false, scopes: [], roles: [] },
    passwordUsers: { 'carol@example.test': 'p@ss word', 'ada@example.test': 'ada-pass' },
    appMailboxPermissions: (appId) => (appId === 'app-1' ? ['shared@contoso.test'] : []),
  });
  return { ca, mail };
}

export const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
export const xoauth2 = (user: string, token: string) => b64(`user=${user}\x01auth=Bearer ${token}\x01\x01`);

export function sampleMessage(subject: string, body = 'Hello there.\r\n'): string {
  return [
    'From: "Ada Lovelace" <ada@example.test>',
    'To: carol@example.test',
    `Subject: ${subject}`,
    'Date: Mon, 01 Jan 2024 10:00:00 +0000',
    'Message-ID: <m1@example.test>',
    '',
    body,
  ].join('\r\n');
}

/** A line-oriented test client for POP3/IMAP/SMTP conversations over net or tls. */
export interface RawClient {
  send(line: string): void;
  writeRaw(data: string): void;
  line(): Promise<string>;
  /** Reads lines until `done(line)` is true; returns them all (including the last). */
  until(done: (line: string) => boolean): Promise<string[]>;
  startTls(ca: string): Promise<void>;
  closed(): Promise<void>;
  end(): void;
}

export async function rawClient(port: number, options: { tlsCa?: string } = {}): Promise<RawClient> {
  let socket: Socket | TLSSocket = options.tlsCa
    ? tlsConnect({ host: '127.0.0.1', port, ca: options.tlsCa, servername: 'localhost' })
    : netConnect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once(options.tlsCa ? 'secureConnect' : 'connect', () => resolve());
    socket.once('error', reject);
  });
  let buffer = '';
  const waiting: Array<() => void> = [];
  let ended = false;
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    for (const wake of waiting.splice(0)) wake();
  };
  const onEnd = () => {
    ended = true;
    for (const wake of waiting.splice(0)) wake();
  };
  const attach = (target: Socket) => {
    target.on('data', onData);
    target.on('close', onEnd);
    target.on('error', onEnd);
  };
  attach(socket);
  const line = async (): Promise<string> => {
    for (;;) {
      const index = buffer.indexOf('\r\n');
      if (index >= 0) {
        const value = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        return value;
      }
      if (ended) throw new Error(`connection closed; pending: ${JSON.stringify(buffer)}`);
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };
  return {
    send: (text) => socket.write(`${text}\r\n`),
    writeRaw: (data) => socket.write(data),
    line,
    async until(done) {
      const lines: string[] = [];
      for (;;) {
        const next = await line();
        lines.push(next);
        if (done(next)) return lines;
      }
    },
    async startTls(ca) {
      socket.off('data', onData);
      socket.off('close', onEnd);
      const upgraded = tlsConnect({ socket, ca, servername: 'localhost' });
      await new Promise<void>((resolve, reject) => {
        upgraded.once('secureConnect', () => resolve());
        upgraded.once('error', reject);
      });
      socket = upgraded;
      attach(upgraded);
    },
    closed: () =>
      ended ? Promise.resolve() : new Promise<void>((resolve) => socket.once('close', () => resolve())),
    end: () => socket.end(),
  };
}
