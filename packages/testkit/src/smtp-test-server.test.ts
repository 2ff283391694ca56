import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { type SmtpTestServer, smtpTestServersClosedBy, startSmtpTestServer } from './smtp-test-server.js';

/** A deliberately tiny SMTP client so the server is tested without the code it will test. */
function lineClient(socket: net.Socket) {
  let buffer = '';
  const waiting: ((reply: string) => void)[] = [];
  const replies: string[] = [];
  const onData = (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (;;) {
      const match = /(^|\r\n)(\d{3}) [^\r\n]*\r\n/.exec(buffer);
      if (!match) break;
      const end = match.index + match[0].length;
      const reply = buffer.slice(0, end).trim();
      buffer = buffer.slice(end);
      const next = waiting.shift();
      if (next) next(reply);
      else replies.push(reply);
    }
  };
  socket.on('data', onData);
  const read = () =>
    new Promise<string>((resolve) => {
      const queued = replies.shift();
      if (queued !== undefined) resolve(queued);
      else waiting.push(resolve);
    });
  return {
    read,
    async command(line: string) {
      socket.write(`${line}\r\n`);
      return read();
    },
    detach: () => socket.off('data', onData),
  };
}

async function open(server: SmtpTestServer) {
  const socket =
    server.security === 'tls'
      ? tls.connect({ host: server.host, port: server.port, ca: server.ca, servername: 'localhost' })
      : net.connect({ host: server.host, port: server.port });
  await new Promise((resolve, reject) => {
    socket.once(server.security === 'tls' ? 'secureConnect' : 'connect', resolve);
    socket.once('error', reject);
  });
  const client = lineClient(socket);
  expect(await client.read()).toMatch(/^220 /);
  return { socket, client };
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
let server: SmtpTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('startSmtpTestServer', () => {
  it('serves implicit TLS with a certificate the returned CA validates, and captures an authenticated message', async () => {
    server = await startSmtpTestServer({ security: 'tls', users: { ann: 'pw-123456' } });
    const { socket, client } = await open(server);
    expect((socket as tls.TLSSocket).authorized).toBe(true);
    const ehlo = await client.command('EHLO test');
    expect(ehlo).toContain('AUTH PLAIN LOGIN XOAUTH2');
    expect(await client.command(`AUTH PLAIN ${b64('\0ann\0pw-123456')}`)).toMatch(/^235/);
    expect(await client.command('MAIL FROM:<ann@example.test>')).toMatch(/^250/);
    expect(await client.command('RCPT TO:<bob@example.test>')).toMatch(/^250/);
    expect(await client.command('DATA')).toMatch(/^354/);
    expect(await client.command('Subject: hi\r\n\r\nhello\r\n.')).toMatch(/^250/);
    const [message] = await server.waitForMessages(1);
    expect(message).toMatchObject({
      envelope: { from: 'ann@example.test', to: ['bob@example.test'] },
      authUser: 'ann',
      authMethod: 'PLAIN',
    });
    expect(message?.raw).toContain('hello');
    expect(server.authAttempts.PLAIN).toBe(1);
    socket.destroy();
  });

  it('offers STARTTLS in starttls mode and nothing in none mode', async () => {
    server = await startSmtpTestServer({ security: 'starttls' });
    const first = await open(server);
    expect(await first.client.command('EHLO test')).toContain('STARTTLS');
    first.socket.destroy();
    await server.close();
    server = await startSmtpTestServer({ security: 'none' });
    const second = await open(server);
    const ehlo = await second.client.command('EHLO test');
    expect(ehlo).not.toContain('STARTTLS');
    expect(ehlo).toContain('AUTH');
    second.socket.destroy();
  });

  it('rejects a bad XOAUTH2 token with the JSON challenge, then 535, and counts both attempts', async () => {
    server = await startSmtpTestServer({ security: 'none', validateToken: (_u, t) => t === 'good-token' });
    const { socket, client } = await open(server);
    await client.command('EHLO test');
    const challenge = await client.command(
      `AUTH XOAUTH2 ${b64('user=ann\x01auth=Bearer bad-token\x01\x01')}`,
    );
    expect(challenge).toMatch(/^334 /);
    expect(JSON.parse(Buffer.from(challenge.slice(4), 'base64').toString())).toEqual({
      status: '401',
      schemes: 'bearer',
    });
    expect(await client.command('')).toMatch(/^535/);
    expect(await client.command(`AUTH XOAUTH2 ${b64('user=ann\x01auth=Bearer good-token\x01\x01')}`)).toMatch(
      /^235/,
    );
    expect(server.authAttempts.XOAUTH2).toBe(2);
    expect(server.authSuccesses.XOAUTH2).toBe(1);
    socket.destroy();
  });

  it('plays scripted auth, MAIL FROM, RCPT and DATA replies', async () => {
    server = await startSmtpTestServer({ security: 'none', users: { ann: 'pw-123456' } });
    server.script.nextAuth({
      code: 535,
      message: '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.',
    });
    server.script.nextMailFrom({ code: 530, message: '5.7.57 Client not authenticated to send mail.' });
    server.script.rejectRecipient('Nobody@Example.test', 550, '5.1.1 User unknown');
    server.script.nextMail({ code: 451, message: '4.3.0 Try again later' });
    const { socket, client } = await open(server);
    await client.command('EHLO test');
    expect(await client.command(`AUTH PLAIN ${b64('\0ann\0pw-123456')}`)).toBe(
      '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.',
    );
    expect(await client.command(`AUTH PLAIN ${b64('\0ann\0pw-123456')}`)).toMatch(/^235/);
    expect(await client.command('MAIL FROM:<ann@example.test>')).toBe(
      '530 5.7.57 Client not authenticated to send mail.',
    );
    expect(await client.command('MAIL FROM:<ann@example.test>')).toMatch(/^250/);
    expect(await client.command('RCPT TO:<nobody@example.test>')).toBe('550 5.1.1 User unknown');
    expect(await client.command('RCPT TO:<bob@example.test>')).toMatch(/^250/);
    await client.command('DATA');
    expect(await client.command('Subject: x\r\n\r\nbody\r\n.')).toBe('451 4.3.0 Try again later');
    expect(server.messages).toHaveLength(0);
    socket.destroy();
  });

  it('rejects a wrong password with 535 5.7.8', async () => {
    server = await startSmtpTestServer({ security: 'none', users: { ann: 'pw-123456' } });
    const { socket, client } = await open(server);
    await client.command('EHLO test');
    expect(await client.command(`AUTH PLAIN ${b64('\0ann\0wrong')}`)).toMatch(/^535 5\.7\.8/);
    socket.destroy();
  });
});

describe('smtpTestServersClosedBy', () => {
  const hooks: (() => Promise<void>)[] = [];
  const start = smtpTestServersClosedBy((fn) => hooks.push(fn));

  it('starts servers with core ServerSettings and closes every one in the hook it was given', async () => {
    const [a, b] = [await start(), await start({ security: 'tls' })];
    expect(a.settings).toEqual({
      host: '127.0.0.1',
      port: a.port,
      security: 'starttls',
      tls: { ca: a.ca },
      timeoutMs: 5000,
    });
    expect(b.settings.security).toBe('tls');
    const greeting = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: a.host, port: a.port });
      socket.once('data', (chunk) => {
        socket.destroy();
        resolve(chunk.toString());
      });
    });
    expect(greeting).toMatch(/^220 /);
    expect(hooks).toHaveLength(1);
    await hooks[0]?.();
    const refused = await new Promise<string>((resolve) => {
      const socket = net.connect({ host: a.host, port: a.port });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? ''));
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
