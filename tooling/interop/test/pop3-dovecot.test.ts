// The POP3 client (@mailplug/protocol-pop3) against a real Dovecot: listing, TOP, DELE/RSET, size
// limits, AUTH PLAIN / USER / XOAUTH2 and classified failures.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CredentialRequest, CredentialSource, MailCredential, ServerSettings } from '@mailplug/core';
import { isMailplugError } from '@mailplug/core';
import { createPop3Protocol } from '@mailplug/protocol-pop3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DovecotInstance, startDovecot } from '../src/index.js';

const USER = 'alice@example.test';
const PASSWORD = 'alice-pass-123';
const TOKEN = 'dovecot-good-token-7f3a9c';
const pop3 = createPop3Protocol({ silenceDeprecation: true });

function source(credential: MailCredential, requests: CredentialRequest[] = []): CredentialSource {
  return {
    getCredential: async (request) => {
      requests.push(request);
      return credential;
    },
  };
}
const password = (pw = PASSWORD) => source({ kind: 'password', user: USER, password: pw });

let dovecot: DovecotInstance;
let introspection: Server;
let starttls: ServerSettings;
let implicitTls: ServerSettings;

beforeAll(async () => {
  introspection = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const ok = new URLSearchParams(body).get('token') === TOKEN;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(ok ? { active: true, username: USER } : { active: false }));
    });
  });
  await new Promise<void>((resolve) => introspection.listen(0, '127.0.0.1', resolve));
  dovecot = await startDovecot({
    users: { [USER]: PASSWORD },
    oauth2: {
      introspectionUrl: `http://127.0.0.1:${(introspection.address() as AddressInfo).port}/introspect`,
    },
  });
  starttls = {
    host: '127.0.0.1',
    port: dovecot.ports.pop3,
    security: 'starttls',
    timeoutMs: 10_000,
    tls: { ca: dovecot.ca },
  };
  implicitTls = {
    host: '127.0.0.1',
    port: dovecot.ports.pop3s,
    security: 'tls',
    timeoutMs: 10_000,
    tls: { ca: dovecot.ca },
  };
});

afterAll(async () => {
  await dovecot?.stop();
  await new Promise((resolve) => introspection?.close(resolve));
});

const message = (n: number, body = `body ${n}`) =>
  `From: sender@example.test\r\nTo: ${USER}\r\nSubject: message ${n}\r\n\r\n${body}\r\n`;

describe('POP3 against Dovecot', () => {
  it('lists with stable UIDL ids, fetches with dot-unstuffing, and TOP returns headers only', async () => {
    await dovecot.deliver(USER, message(1, 'line one\r\n.leading dot\r\n..two dots\r\n.'));
    await dovecot.deliver(USER, message(2));
    const requests: CredentialRequest[] = [];
    const connection = await pop3.connect(
      starttls,
      source({ kind: 'password', user: USER, password: PASSWORD }, requests),
    );
    try {
      expect(requests).toEqual([{ protocol: 'pop3' }]);
      const list = await connection.list();
      expect(list).toHaveLength(2);
      const [first, second] = list;
      const raw = Buffer.from(await connection.fetch(first?.id ?? '')).toString();
      expect(raw).toContain('Subject: message 1');
      expect(raw).toContain('\r\n.leading dot\r\n..two dots\r\n.\r\n');
      const top = Buffer.from(await connection.top(second?.id ?? '', 0)).toString();
      expect(top).toContain('Subject: message 2');
      expect(top).not.toContain('body 2');
      await connection.close();

      const again = await pop3.connect(implicitTls, password());
      expect((await again.list()).map((m) => m.id)).toEqual(list.map((m) => m.id));
      await again.close();
    } finally {
      await connection.dispose();
    }
  });

  it('authenticates with AUTH PLAIN and USER/PASS, over implicit TLS and STLS', async () => {
    for (const [server, mechanism] of [
      [implicitTls, 'plain'],
      [starttls, 'user'],
    ] as const) {
      const connection = await createPop3Protocol({
        silenceDeprecation: true,
        passwordMechanism: mechanism,
      }).connect(server, password());
      expect(Array.isArray(await connection.list())).toBe(true);
      await connection.close();
    }
  });

  it('commits DELE only on QUIT: dispose() and RSET keep the message', async () => {
    await dovecot.deliver(USER, message(3));
    const c1 = await pop3.connect(implicitTls, password());
    const ids = (await c1.list()).map((m) => m.id);
    const target = ids.at(-1) ?? '';
    await c1.delete(target);
    expect((await c1.list()).map((m) => m.id)).not.toContain(target);
    await expect(c1.fetch(target)).rejects.toMatchObject({ code: 'POP3_MESSAGE_NOT_FOUND' });
    c1.dispose();

    const c2 = await pop3.connect(implicitTls, password());
    expect((await c2.list()).map((m) => m.id)).toContain(target);
    await c2.delete(target);
    await c2.reset();
    await c2.close();

    const c3 = await pop3.connect(implicitTls, password());
    expect((await c3.list()).map((m) => m.id)).toContain(target);
    await c3.delete(target);
    await c3.close();

    const c4 = await pop3.connect(implicitTls, password());
    expect((await c4.list()).map((m) => m.id)).not.toContain(target);
    await c4.close();
  });

  it('refuses a message above maxBytes before reading it, and the session stays usable', async () => {
    await dovecot.deliver(USER, message(4, 'x'.repeat(5000)));
    const connection = await pop3.connect(implicitTls, password());
    const big = (await connection.list()).find((m) => m.size > 5000);
    const error = await connection.fetch(big?.id ?? '', { maxBytes: 1000 }).catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('POP3_MESSAGE_TOO_LARGE');
    expect(isMailplugError(error) && error.hint).toMatch(/maxBytes/);
    expect((await connection.fetch(big?.id ?? '', { maxBytes: 10_000 })).byteLength).toBeGreaterThan(5000);
    await connection.close();
  });

  it('signs in with AUTH XOAUTH2 (two-step) validated by OAuth introspection', async () => {
    const requests: CredentialRequest[] = [];
    const connection = await pop3.connect(
      implicitTls,
      source(
        { kind: 'oauth2', user: USER, accessToken: TOKEN, expiresAt: Date.now() + 3_600_000, scopes: [] },
        requests,
      ),
    );
    expect(Array.isArray(await connection.list())).toBe(true);
    await connection.close();
    expect(requests).toEqual([{ protocol: 'pop3' }]);
  });

  // Failures get their own Dovecot each: its per-IP auth penalty delays every login after a failure.
  it('classifies a wrong password as a user error without leaking it', async () => {
    const own = await startDovecot({ users: { [USER]: PASSWORD } });
    try {
      const wrong = 'wrong-password-planted-42';
      const error = await pop3
        .connect({ ...implicitTls, port: own.ports.pop3s, tls: { ca: own.ca } }, password(wrong))
        .catch((e: unknown) => e);
      expect(isMailplugError(error) && error.code).toBe('POP3_AUTH_FAILED');
      expect(isMailplugError(error) && error.action).toBe('user');
      expect(isMailplugError(error) && error.hint).toMatch(/Sign in again|password/);
      expect(JSON.stringify(isMailplugError(error) && error.toJSON())).not.toContain(wrong);
    } finally {
      await own.stop();
    }
  });

  it('retries a rejected XOAUTH2 token once with forceRefresh, then reports a user error', async () => {
    const own = await startDovecot({
      users: {},
      oauth2: {
        introspectionUrl: `http://127.0.0.1:${(introspection.address() as AddressInfo).port}/introspect`,
      },
    });
    try {
      const requests: CredentialRequest[] = [];
      const revoked = 'revoked-token-planted-998877';
      const error = await pop3
        .connect(
          { ...starttls, port: own.ports.pop3, tls: { ca: own.ca } },
          source(
            { kind: 'oauth2', user: USER, accessToken: revoked, expiresAt: Date.now() + 60_000, scopes: [] },
            requests,
          ),
        )
        .catch((e: unknown) => e);
      expect(isMailplugError(error) && error.code).toBe('POP3_AUTH_FAILED');
      expect(requests.map((r) => r.forceRefresh ?? false)).toEqual([false, true]);
      expect(String(error) + JSON.stringify(isMailplugError(error) && error.toJSON())).not.toContain(revoked);
    } finally {
      await own.stop();
    }
  });
});
