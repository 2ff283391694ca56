import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DovecotInstance, startDovecot } from './dovecot.js';
import { renderOAuth2Conf } from './dovecot-config.js';

const USER = 'alice@example.test';
const PASSWORD = 'correct-horse-1';
const GOOD_TOKEN = 'good-token-abcdef123456';

/** A line-oriented client for scripted conversations over a raw socket. */
function lineClient(socket: net.Socket) {
  let buffer = '';
  const waiters: Array<() => void> = [];
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => {
    buffer += d;
    for (const w of waiters.splice(0)) w();
  });
  const readUntil = async (predicate: (text: string) => number): Promise<string> => {
    for (;;) {
      const end = predicate(buffer);
      if (end >= 0) {
        const out = buffer.slice(0, end);
        buffer = buffer.slice(end);
        return out;
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return {
    line: () => readUntil((b) => (b.indexOf('\r\n') >= 0 ? b.indexOf('\r\n') + 2 : -1)),
    /** Reads up to and including a line matching `re`. */
    until: (re: RegExp) =>
      readUntil((b) => {
        const lines = b.split('\r\n');
        let offset = 0;
        for (const l of lines.slice(0, -1)) {
          offset += l.length + 2;
          if (re.test(l)) return offset;
        }
        return -1;
      }),
    send: (text: string) => socket.write(`${text}\r\n`),
    close: () => socket.destroy(),
  };
}

function connectPlain(port: number) {
  return new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

let dovecot: DovecotInstance;
let introspection: Server;
const introspectionCalls: Array<{ authorization?: string; body: string }> = [];

beforeAll(async () => {
  introspection = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      introspectionCalls.push({
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        body,
      });
      const token = new URLSearchParams(body).get('token');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(token === GOOD_TOKEN ? { active: true, username: USER } : { active: false }));
    });
  });
  await new Promise<void>((resolve) => introspection.listen(0, '127.0.0.1', resolve));
  const { port } = introspection.address() as net.AddressInfo;
  dovecot = await startDovecot({
    users: { [USER]: PASSWORD, 'bob@example.test': 'other-pass-2' },
    oauth2: {
      introspectionUrl: `http://127.0.0.1:${port}/introspect`,
      clientId: 'dovecot',
      clientSecret: 's3cret!',
    },
  });
});

afterAll(async () => {
  await dovecot?.stop();
  await new Promise((resolve) => introspection?.close(resolve));
});

describe('startDovecot', () => {
  it('serves POP3 USER/PASS and sees messages delivered into the Maildir', async () => {
    await dovecot.deliver(USER, 'Subject: one\r\n\r\nfirst\r\n');
    await dovecot.deliver(USER, 'Subject: two\r\n\r\nsecond\r\n');
    const c = lineClient(await connectPlain(dovecot.ports.pop3));
    expect(await c.line()).toMatch(/^\+OK/);
    c.send(`USER ${USER}`);
    expect(await c.line()).toMatch(/^\+OK/);
    c.send(`PASS ${PASSWORD}`);
    expect(await c.line()).toMatch(/^\+OK Logged in/);
    c.send('STAT');
    expect(await c.line()).toMatch(/^\+OK 2 \d+/);
    c.send('RETR 2');
    expect(await c.until(/^\.$/)).toContain('second');
    c.send('QUIT');
    expect(await c.line()).toMatch(/^\+OK/);
    c.close();
  });

  it('offers STLS and implicit TLS with the returned CA', async () => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: dovecot.ports.pop3s,
      ca: dovecot.ca,
      servername: 'localhost',
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    expect(socket.authorized).toBe(true);
    const c = lineClient(socket);
    expect(await c.line()).toMatch(/^\+OK/);
    c.send('CAPA');
    expect(await c.until(/^\.$/)).toContain('SASL PLAIN LOGIN XOAUTH2 OAUTHBEARER');
    c.close();
    const plain = lineClient(await connectPlain(dovecot.ports.pop3));
    await plain.line();
    plain.send('CAPA');
    expect(await plain.until(/^\.$/)).toMatch(/^STLS\r$/m);
    plain.close();
  });

  it('relays authenticated submission to the sink', async () => {
    const c = lineClient(await connectPlain(dovecot.ports.submission));
    expect(await c.line()).toMatch(/^220/);
    c.send('EHLO client.test');
    expect(await c.until(/^250 /)).toMatch(/AUTH .*PLAIN/);
    c.send(`AUTH PLAIN ${Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64')}`);
    expect(await c.line()).toMatch(/^235/);
    c.send(`MAIL FROM:<${USER}>`);
    expect(await c.line()).toMatch(/^250/);
    c.send('RCPT TO:<carol@example.test>');
    expect(await c.line()).toMatch(/^250/);
    c.send('DATA');
    expect(await c.line()).toMatch(/^354/);
    c.send('Subject: relayed\r\n\r\nvia submission\r\n.');
    expect(await c.line()).toMatch(/^250/);
    c.send('QUIT');
    c.close();
    expect(dovecot.relayed.at(-1)?.to).toEqual(['carol@example.test']);
    expect(dovecot.relayed.at(-1)?.raw.toString()).toContain('via submission');
  });

  it('validates XOAUTH2 tokens through POST introspection with client credentials', async () => {
    const xoauth = (token: string) =>
      Buffer.from(`user=${USER}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
    const ok = lineClient(await connectPlain(dovecot.ports.pop3));
    await ok.line();
    ok.send('AUTH XOAUTH2');
    expect(await ok.line()).toMatch(/^\+ ?/);
    ok.send(xoauth(GOOD_TOKEN));
    expect(await ok.line()).toMatch(/^\+OK/);
    ok.close();
    expect(introspectionCalls.at(-1)?.body).toContain(`token=${GOOD_TOKEN}`);
    expect(introspectionCalls.at(-1)?.authorization).toBe(
      `Basic ${Buffer.from('dovecot:s3cret!').toString('base64')}`,
    );

    const bad = lineClient(await connectPlain(dovecot.ports.pop3));
    await bad.line();
    bad.send('AUTH XOAUTH2');
    await bad.line();
    bad.send(xoauth('revoked-token-999999'));
    // Dovecot answers a failed XOAUTH2 with a `+ <b64 JSON>` challenge first; an empty line ends it.
    let reply = await bad.line();
    if (reply.startsWith('+')) {
      bad.send('');
      reply = await bad.line();
    }
    expect(reply).toMatch(/^-ERR/);
    bad.close();
  });

  it('refuses a multi-valued scope (Dovecot 2.3.19 bug)', () => {
    expect(() => renderOAuth2Conf({ introspectionUrl: 'http://127.0.0.1/i', scope: 'a b' })).toThrow(
      /one scope/,
    );
    expect(renderOAuth2Conf({ introspectionUrl: 'http://127.0.0.1/i', scope: 'mail' })).toContain(
      'scope = mail\n',
    );
  });

  it('rejects a wrong password with [AUTH]; stop() kills the server and removes the temp dir', async () => {
    // Its own instance: Dovecot's per-IP auth penalty slows the next logins after a failure.
    const second = await startDovecot({ users: { 'bob@example.test': 'other-pass-2' } });
    expect(existsSync(second.baseDir)).toBe(true);
    const c = lineClient(await connectPlain(second.ports.pop3));
    await c.line();
    c.send('USER bob@example.test');
    await c.line();
    c.send('PASS wrong');
    expect(await c.line()).toMatch(/^-ERR \[AUTH\]/);
    c.close();
    await second.stop();
    expect(existsSync(second.baseDir)).toBe(false);
    await expect(connectPlain(second.ports.pop3)).rejects.toThrow(/ECONNREFUSED/);
    await second.stop();
  });
});
