import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { type Pop3TestServer, type Pop3TestServerOptions, startPop3TestServer } from './pop3-test-server.js';

const USER = 'ann@example.test';
const PASSWORD = 'correct horse';
const running: Pop3TestServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function start(options: Pop3TestServerOptions = {}) {
  const server = await startPop3TestServer({ users: { [USER]: PASSWORD }, ...options });
  running.push(server);
  return server;
}

/** A line client: `send` writes a command and resolves with the reply (multi-line replies up to "."). */
function client(socket: net.Socket) {
  let buffer = '';
  let waiting: { multi: boolean; resolve: (text: string) => void } | undefined;
  const pump = () => {
    if (!waiting) return;
    const end =
      waiting.multi && buffer.startsWith('+OK') ? buffer.indexOf('\r\n.\r\n') : buffer.indexOf('\r\n');
    if (end < 0) return;
    const length = waiting.multi && buffer.startsWith('+OK') ? end + 5 : end + 2;
    const reply = buffer.slice(0, length);
    buffer = buffer.slice(length);
    const { resolve } = waiting;
    waiting = undefined;
    resolve(reply);
  };
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    pump();
  });
  const read = (multi = false) =>
    new Promise<string>((resolve) => {
      waiting = { multi, resolve };
      pump();
    });
  return {
    read,
    send(line: string, multi = false) {
      const reply = read(multi);
      socket.write(`${line}\r\n`);
      return reply;
    },
    socket,
  };
}

const connectTls = (server: Pop3TestServer) =>
  new Promise<tls.TLSSocket>((resolve, reject) => {
    const socket = tls.connect(
      { host: server.host, port: server.port, ca: server.ca, servername: 'localhost' },
      () => resolve(socket),
    );
    socket.once('error', reject);
  });

describe('startPop3TestServer', () => {
  it('serves a maildrop over implicit TLS: list, uidl, retr (dot-stuffed), and deletes only on QUIT', async () => {
    const server = await start();
    const uid = server.deliver(USER, 'Subject: one\r\n\r\n.leading dot\r\nbody\r\n');
    server.deliver(USER, 'Subject: two\r\n\r\nsecond\r\n');
    const c = client(await connectTls(server));
    expect(await c.read()).toMatch(/^\+OK/);
    expect(await c.send('CAPA', true)).toMatch(/USER\r\nUIDL\r\nTOP\r\nPIPELINING\r\nSASL PLAIN\r\n\.\r\n$/);
    expect(await c.send(`USER ${USER}`)).toMatch(/^\+OK/);
    expect(await c.send(`PASS ${PASSWORD}`)).toMatch(/^\+OK/);
    expect(await c.send('STAT')).toBe('+OK 2 60\r\n');
    expect(await c.send('UIDL', true)).toContain(`1 ${uid}\r\n`);
    expect(await c.send('RETR 1', true)).toContain('\r\n..leading dot\r\nbody\r\n.\r\n');
    expect(await c.send('DELE 1')).toMatch(/^\+OK/);
    expect(await c.send('LIST', true)).toBe('+OK\r\n2 24\r\n.\r\n');
    expect(server.mailbox(USER)).toHaveLength(2);
    expect(await c.send('QUIT')).toMatch(/^\+OK/);
    await new Promise((resolve) => c.socket.once('close', resolve));
    expect(server.mailbox(USER).map((m) => m.raw)).toEqual(['Subject: two\r\n\r\nsecond\r\n']);
  });

  it('refuses a wrong password and commands before sign-in', async () => {
    const server = await start();
    const c = client(await connectTls(server));
    await c.read();
    expect(await c.send('STAT')).toMatch(/^-ERR/);
    expect(await c.send(`USER ${USER}`)).toMatch(/^\+OK/);
    expect(await c.send('PASS wrong')).toMatch(/^-ERR \[AUTH\]/);
  });

  it('offers STLS in starttls mode, refuses credentials before it, and drops what was pipelined after it', async () => {
    const server = await start({ security: 'starttls' });
    const plain = net.connect({ host: server.host, port: server.port });
    const c = client(plain);
    await c.read();
    expect(await c.send('CAPA', true)).toContain('STLS');
    expect(await c.send(`USER ${USER}`)).toMatch(/^-ERR \[AUTH\] use STLS first/);
    const upgraded = c.read();
    plain.write(`STLS\r\nUSER injected@example.test\r\n`);
    expect(await upgraded).toMatch(/^\+OK/);
    plain.removeAllListeners('data');
    const secured = tls.connect({ socket: plain, ca: server.ca, servername: 'localhost' });
    await new Promise((resolve) => secured.once('secureConnect', resolve));
    const s = client(secured);
    const initial = Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64');
    expect(await s.send(`AUTH PLAIN ${initial}`)).toMatch(/^\+OK/);
    expect(server.commands).not.toContain('USER injected@example.test');
  });

  it('takes XOAUTH2 in two steps when it can validate tokens', async () => {
    const server = await start({ validateToken: (user, token) => user === USER && token === 'good-token' });
    const c = client(await connectTls(server));
    await c.read();
    expect(await c.send('CAPA', true)).toContain('SASL PLAIN XOAUTH2');
    expect(await c.send('AUTH XOAUTH2')).toBe('+ \r\n');
    const bad = Buffer.from(`user=${USER}\x01auth=Bearer stale\x01\x01`).toString('base64');
    expect(await c.send(bad)).toMatch(/^-ERR \[AUTH\]/);
    expect(await c.send('AUTH XOAUTH2')).toBe('+ \r\n');
    const good = Buffer.from(`user=${USER}\x01auth=Bearer good-token\x01\x01`).toString('base64');
    expect(await c.send(good)).toMatch(/^\+OK/);
  });
});
