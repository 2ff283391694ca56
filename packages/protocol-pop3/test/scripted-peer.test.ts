import net from 'node:net';
import type { CredentialRequest, CredentialSource, MailCredential, ServerSettings } from '@mailplug/core';
import { isMailplugError } from '@mailplug/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPop3Protocol, POP3_DEPRECATION_CODE } from '../src/index.js';

/** A tiny POP3 peer whose replies a test scripts line by line. */
async function scriptedPeer(
  respond: (line: string, socket: net.Socket, state: Record<string, unknown>) => void,
  greeting = '+OK scripted ready\r\n',
) {
  const received: string[] = [];
  const server = net.createServer((socket) => {
    const state: Record<string, unknown> = {};
    let buffer = '';
    socket.on('error', () => {});
    socket.write(greeting);
    socket.on('data', (d) => {
      buffer += d.toString('latin1');
      let i = buffer.indexOf('\r\n');
      while (i >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        received.push(line);
        respond(line, socket, state);
        i = buffer.indexOf('\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const settings: ServerSettings = {
    host: '127.0.0.1',
    port: (server.address() as net.AddressInfo).port,
    security: 'none',
    allowInsecureAuth: true,
    timeoutMs: 2_000,
  };
  peers.push(server);
  return { settings, received };
}

const peers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  vi.restoreAllMocks();
});

const CAPA_XOAUTH = '+OK\r\nUSER\r\nUIDL\r\nSASL PLAIN XOAUTH2\r\n.\r\n';
const pop3 = createPop3Protocol({ silenceDeprecation: true });

function tokens(list: string[], requests: CredentialRequest[] = []): CredentialSource {
  return {
    getCredential: async (request) => {
      requests.push(request);
      const accessToken = list[Math.min(requests.length - 1, list.length - 1)] ?? '';
      return {
        kind: 'oauth2',
        user: 'shared@contoso.test',
        accessToken,
        expiresAt: Date.now() + 3_600_000,
        scopes: [],
      };
    },
  };
}
const passwordSource = (
  credential: MailCredential = { kind: 'password', user: 'u', password: 'p4ssword' },
) => ({
  getCredential: async () => credential,
});

describe('POP3 against a scripted peer', () => {
  it('speaks XOAUTH2 in the two-step form and retries once with forceRefresh after -ERR', async () => {
    const { settings, received } = await scriptedPeer((line, socket, state) => {
      if (line === 'CAPA') socket.write(CAPA_XOAUTH);
      else if (line === 'AUTH XOAUTH2') socket.write('+ \r\n');
      else if (line === 'QUIT') socket.end('+OK bye\r\n');
      else if (line === 'UIDL') socket.write('+OK\r\n.\r\n');
      else if (line === 'LIST') socket.write('+OK\r\n.\r\n');
      else {
        const decoded = Buffer.from(line, 'base64').toString();
        state.ok = decoded === 'user=shared@contoso.test\x01auth=Bearer fresh-token-222222\x01\x01';
        socket.write(state.ok ? '+OK authenticated\r\n' : '-ERR [AUTH] token expired\r\n');
      }
    });
    const requests: CredentialRequest[] = [];
    const connection = await pop3.connect(
      settings,
      tokens(['stale-token-111111', 'fresh-token-222222'], requests),
    );
    expect(requests.map((r) => r.forceRefresh ?? false)).toEqual([false, true]);
    expect(received.filter((l) => l === 'AUTH XOAUTH2')).toHaveLength(2);
    expect(await connection.list()).toEqual([]);
    await connection.close();
    expect(received.at(-1)).toBe('QUIT');
  });

  it('refuses XOAUTH2 when CAPA does not advertise it', async () => {
    const { settings, received } = await scriptedPeer((line, socket) => {
      if (line === 'CAPA') socket.write('+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n');
    });
    const error = await pop3.connect(settings, tokens(['t-123456789'])).catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('POP3_AUTH_MECHANISM_UNAVAILABLE');
    expect(isMailplugError(error) && error.hint).toMatch(/XOAUTH2/);
    expect(received).not.toContain('AUTH XOAUTH2');
  });

  it('never downgrades: starttls without STLS in CAPA fails before any credential is sent', async () => {
    const { settings, received } = await scriptedPeer((line, socket) => {
      if (line === 'CAPA') socket.write('+OK\r\nUSER\r\n.\r\n');
    });
    const error = await pop3
      .connect({ ...settings, security: 'starttls' }, passwordSource())
      .catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('POP3_STARTTLS_UNAVAILABLE');
    expect(isMailplugError(error) && error.hint).toMatch(/never falls back/);
    expect(received).toEqual(['CAPA']);
  });

  it('rejects data pipelined after the STLS reply (injection)', async () => {
    const { settings } = await scriptedPeer((line, socket) => {
      if (line === 'CAPA') socket.write('+OK\r\nSTLS\r\n.\r\n');
      if (line === 'STLS') socket.write('+OK go ahead\r\n+OK injected\r\n');
    });
    const error = await pop3
      .connect({ ...settings, security: 'starttls' }, passwordSource())
      .catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('POP3_PROTOCOL_ERROR');
  });

  it('refuses credentials over plain text unless allowInsecureAuth', async () => {
    const { settings, received } = await scriptedPeer(() => {});
    const error = await pop3
      .connect({ ...settings, allowInsecureAuth: false }, passwordSource())
      .catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('INSECURE_AUTH_REFUSED');
    expect(received).toEqual([]);
  });

  it.each([
    ['[IN-USE] mailbox locked', 'POP3_MAILBOX_IN_USE', 'retry'],
    ['[SYS/TEMP] try later', 'POP3_SERVER_TEMPORARY', 'retry'],
    ['[SYS/PERM] account disabled', 'POP3_SERVER_PERMANENT', 'admin'],
    ['[AUTH] bad password', 'POP3_AUTH_FAILED', 'user'],
    ['nope', 'POP3_AUTH_FAILED', 'user'],
  ])('classifies -ERR %s', async (reply, code, action) => {
    const { settings } = await scriptedPeer((line, socket) => {
      if (line === 'CAPA') socket.write('+OK\r\nUSER\r\n.\r\n');
      else if (line.startsWith('USER')) socket.write('+OK\r\n');
      else if (line.startsWith('PASS')) socket.write(`-ERR ${reply}\r\n`);
    });
    const error = await pop3.connect(settings, passwordSource()).catch((e: unknown) => e);
    expect(isMailplugError(error) && [error.code, error.action]).toEqual([code, action]);
    expect(isMailplugError(error) && error.hint.length).toBeGreaterThan(10);
  });

  it('times out on a silent server instead of hanging', async () => {
    const { settings } = await scriptedPeer(() => {}, '');
    const error = await pop3
      .connect({ ...settings, timeoutMs: 200 }, passwordSource())
      .catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('TIMEOUT');
  });

  it('caps a streamed RETR whose size LIST understated, and marks the session unusable', async () => {
    const { settings } = await scriptedPeer((line, socket) => {
      if (line === 'CAPA') socket.write('+OK\r\nUSER\r\nUIDL\r\n.\r\n');
      else if (line === 'UIDL') socket.write('+OK\r\n1 uid-1\r\n.\r\n');
      else if (line === 'LIST') socket.write('+OK\r\n1 10\r\n.\r\n');
      else if (line === 'RETR 1') socket.write(`+OK\r\n${'y'.repeat(100)}\r\n`.repeat(50));
      else socket.write('+OK\r\n');
    });
    const connection = await pop3.connect(settings, passwordSource());
    const error = await connection.fetch('uid-1', { maxBytes: 1000 }).catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('POP3_MESSAGE_TOO_LARGE');
    await expect(connection.list()).rejects.toMatchObject({ code: 'POP3_CONNECTION_CLOSED' });
    connection.dispose();
  });

  it('with PIPELINING, sends UIDL and LIST together and reads a large dot-stuffed RETR in bulk', async () => {
    // Lines over many TCP reads: dot-stuffed lines, a bare-LF line, a line of only dots.
    const lines = Array.from({ length: 4000 }, (_, i) =>
      i % 7 === 0 ? `.line ${i} starts with a dot` : i % 11 === 0 ? '...' : `line ${i} ${'z'.repeat(40)}`,
    );
    const wire = `${lines.map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n')}\r\nbare\n.\r\n`;
    const expected = `${lines.join('\r\n')}\r\nbare\r\n`;
    const { settings, received } = await scriptedPeer((line, socket, state) => {
      if (line === 'CAPA') socket.write('+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n');
      else if (line === 'UIDL')
        state.uidl = true; // answered only once LIST is here too
      else if (line === 'LIST' && state.uidl)
        socket.write(
          `+OK\r\n1 uid-1\r\n2 uid-2\r\n.\r\n+OK 2 messages\r\n1 ${expected.length}\r\n2 5\r\n.\r\n`,
        );
      else if (line === 'RETR 1') socket.write(`+OK\r\n${wire}`);
      else if (line === 'QUIT') socket.end('+OK bye\r\n');
      else socket.write('+OK\r\n');
    });
    const connection = await pop3.connect(settings, passwordSource());
    expect(connection.capabilities.pipelining).toBe(true);
    expect(await connection.list()).toEqual([
      { id: 'uid-1', size: expected.length },
      { id: 'uid-2', size: 5 },
    ]);
    const raw = await connection.fetch('uid-1');
    expect(raw).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(raw).toString('latin1')).toBe(expected);
    await connection.close();
    expect(received.slice(-4)).toEqual(['UIDL', 'LIST', 'RETR 1', 'QUIT']);
  });

  it('without PIPELINING, sends LIST only after the UIDL reply', async () => {
    const { settings, received } = await scriptedPeer((line, socket, state) => {
      if (line === 'CAPA') socket.write('+OK\r\nUSER\r\nUIDL\r\n.\r\n');
      else if (line === 'UIDL') {
        // Answer late: a client that did not wait would already have sent LIST.
        setTimeout(() => {
          state.listBeforeUidlReply = received.includes('LIST');
          socket.write('+OK\r\n1 uid-1\r\n.\r\n');
        }, 50);
      } else if (line === 'LIST') socket.write('+OK\r\n1 42\r\n.\r\n');
      else socket.write('+OK\r\n');
    });
    const connection = await pop3.connect(settings, passwordSource());
    expect(connection.capabilities.pipelining).toBe(false);
    expect(await connection.list()).toEqual([{ id: 'uid-1', size: 42 }]);
    expect(received.filter((l) => l === 'UIDL' || l === 'LIST')).toEqual(['UIDL', 'LIST']);
    expect(received.indexOf('LIST')).toBeGreaterThan(received.indexOf('UIDL'));
    connection.dispose();
  });

  it.each([
    ['UIDL refused', '-ERR no UIDL here\r\n', '+OK\r\n1 10\r\n.\r\n', 'POP3_UIDL_UNSUPPORTED'],
    ['LIST refused', '+OK\r\n1 uid-1\r\n.\r\n', '-ERR [SYS/TEMP] busy\r\n', 'POP3_SERVER_TEMPORARY'],
    ['UIDL malformed', '+OK\r\nnot a uidl line\r\n.\r\n', '+OK\r\n1 10\r\n.\r\n', 'POP3_PROTOCOL_ERROR'],
  ])(
    'pipelined listing with %s: both replies are read, so the session stays in step',
    async (_, uidl, list, code) => {
      const { settings, received } = await scriptedPeer((line, socket) => {
        if (line === 'CAPA') socket.write('+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n');
        else if (line === 'UIDL') socket.write(uidl);
        else if (line === 'LIST') socket.write(list);
        else if (line === 'RSET') socket.write('+OK reset done\r\n');
        else socket.write('+OK\r\n');
      });
      const connection = await pop3.connect(settings, passwordSource());
      const error = await connection.list().catch((e: unknown) => e);
      expect(isMailplugError(error) && error.code).toBe(code);
      // Each later command gets its own reply, not a leftover of LIST's (which would not parse).
      await expect(connection.reset()).resolves.toBeUndefined();
      await expect(connection.reset()).resolves.toBeUndefined();
      expect(received.slice(-4)).toEqual(['UIDL', 'LIST', 'RSET', 'RSET']);
      connection.dispose();
    },
  );

  it('emits one DeprecationWarning per process, and none when silenced', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { settings } = await scriptedPeer((line, socket) => {
      if (line === 'CAPA') socket.write('+OK\r\nUSER\r\n.\r\n');
      else socket.write('+OK\r\n');
    });
    const silent = createPop3Protocol({ silenceDeprecation: true });
    (await silent.connect(settings, passwordSource())).dispose();
    expect(warn).not.toHaveBeenCalled();
    const loud = createPop3Protocol();
    (await loud.connect(settings, passwordSource())).dispose();
    (await loud.connect(settings, passwordSource())).dispose();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toEqual({ type: 'DeprecationWarning', code: POP3_DEPRECATION_CODE });
  });

  it('probe reports each stage and names the failing one', async () => {
    const { settings } = await scriptedPeer((line, socket) => {
      if (line === 'CAPA') socket.write('+OK\r\nUSER\r\n.\r\n');
      else if (line.startsWith('USER')) socket.write('+OK\r\n');
      else if (line.startsWith('PASS')) socket.write('-ERR [AUTH] no\r\n');
    });
    const report = await pop3.probe(settings, passwordSource());
    expect(report.ok).toBe(false);
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([
      ['tcp', 'ok'],
      ['greeting', 'ok'],
      ['capabilities', 'ok'],
      ['credential', 'ok'],
      ['auth', 'failed'],
    ]);
    expect(report.steps.at(-1)?.error?.code).toBe('POP3_AUTH_FAILED');
  });
});
