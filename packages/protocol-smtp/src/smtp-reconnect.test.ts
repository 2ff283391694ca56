import type { Socket } from 'node:net';
import type { ServerSettings } from '@mailplug/core';
import { passwordCredentials } from '@mailplug/testkit';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { smtp } from './index.js';
import { countingTokenSource, PLANTED_PASSWORD } from './test-support.js';

// The real smtp-server, told to close idle sessions, answer 421, reset before accepting MAIL FROM,
// or drop the connection right after the end of DATA. Each test counts the copies delivered.
const USER = 'ann@example.test';

interface ServerHooks {
  /** Called for each MAIL FROM; the number counts MAIL FROMs on this session (1 = first message). */
  onMailFrom?(
    transaction: number,
    session: SMTPServerSession,
    socket: Socket | undefined,
  ): Error | 'drop' | undefined;
  /** Drop the connection right after the end-of-data `.` arrived, without any reply. */
  dropAfterData?: boolean;
}

interface TestServer {
  readonly port: number;
  /** Subjects of the messages whose content was received completely, in order. */
  readonly delivered: string[];
  /** MAIL FROM commands received. */
  mailFromCount: number;
  /** Sessions that authenticated. */
  authenticated: number;
  /** Resolves when `count` authenticated sessions have ended. */
  authenticatedSessionsClosed(count: number): Promise<void>;
  close(): Promise<void>;
}

const running: TestServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function startServer(
  hooks: ServerHooks = {},
  options: Partial<SMTPServerOptions> = {},
): Promise<TestServer> {
  const sockets = new Map<number, Socket>();
  const transactions = new Map<string, number>();
  let closedAuthenticated = 0;
  let waiters: { count: number; resolve: () => void }[] = [];
  const state: TestServer = {
    port: 0,
    delivered: [],
    mailFromCount: 0,
    authenticated: 0,
    authenticatedSessionsClosed: (count) =>
      closedAuthenticated >= count
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ count, resolve })),
    close: async () => undefined,
  };
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'XOAUTH2'],
    closeTimeout: 250,
    onAuth(auth, _session, callback) {
      const ok =
        auth.method === 'XOAUTH2'
          ? (auth.accessToken ?? '').startsWith('planted-token-')
          : auth.username === USER && auth.password === PLANTED_PASSWORD;
      if (!ok)
        return callback(Object.assign(new Error('5.7.8 Authentication failed'), { responseCode: 535 }));
      state.authenticated++;
      callback(null, { user: auth.username ?? USER });
    },
    onMailFrom(_address, session, callback) {
      state.mailFromCount++;
      const transaction = (transactions.get(session.id) ?? 0) + 1;
      transactions.set(session.id, transaction);
      const outcome = hooks.onMailFrom?.(transaction, session, sockets.get(session.remotePort));
      if (outcome === 'drop') return sockets.get(session.remotePort)?.destroy();
      callback(outcome ?? null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const subject = /^Subject: (.*)$/m.exec(Buffer.concat(chunks).toString('utf8'))?.[1]?.trim() ?? '';
        state.delivered.push(subject);
        // The message is in; the client never hears so.
        if (hooks.dropAfterData) return sockets.get(session.remotePort)?.destroy();
        callback(null, 'queued');
      });
    },
    onClose(session) {
      if (!session.user) return;
      closedAuthenticated++;
      waiters = waiters.filter((w) => {
        if (closedAuthenticated >= w.count) w.resolve();
        return closedAuthenticated < w.count;
      });
    },
    ...options,
  });
  server.on('error', () => undefined);
  server.server.on('connection', (socket: Socket) => {
    const port = socket.remotePort;
    if (port !== undefined) sockets.set(port, socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const result: TestServer = Object.assign(state, {
    port: (server.server.address() as { port: number }).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
  running.push(result);
  return result;
}

function settings(server: TestServer): ServerSettings {
  return { host: '127.0.0.1', port: server.port, security: 'none', allowInsecureAuth: true, timeoutMs: 5000 };
}

const mail = (subject: string) => ({ to: 'bob@example.test', subject, text: `Body of ${subject}` });

describe('reconnect once when the session turned out to be closed', () => {
  it('the server closed the idle pooled connection (socketTimeout): the next send goes out once', async () => {
    const server = await startServer({}, { socketTimeout: 300 });
    const connection = await smtp.connect(settings(server), passwordCredentials(USER, PLANTED_PASSWORD), {
      pool: { maxConnections: 1 },
    });
    await connection.send(mail('first'));
    await server.authenticatedSessionsClosed(1);
    const result = await connection.send(mail('second'));
    await connection.close();
    expect(result.accepted).toEqual(['bob@example.test']);
    expect(server.delivered).toEqual(['first', 'second']);
    expect(server.authenticated).toBe(2);
  });

  it('a reset before the server accepted MAIL FROM: reconnects with a fresh (not forced) token, one copy', async () => {
    const server = await startServer({ onMailFrom: (transaction) => (transaction > 1 ? 'drop' : undefined) });
    const { source, state } = countingTokenSource(USER);
    const connection = await smtp.connect(settings(server), source, { pool: { maxConnections: 1 } });
    await connection.send(mail('first'));
    const result = await connection.send(mail('second'));
    await connection.close();
    expect(result.accepted).toEqual(['bob@example.test']);
    expect(server.delivered).toEqual(['first', 'second']);
    // first, the refused second on the old session, the second on a new one
    expect(server.mailFromCount).toBe(3);
    expect(server.authenticated).toBe(2);
    expect(state.forcedCalls).toBe(0);
    expect(state.mints).toBe(1);
  });

  it('421 on a reused session: reconnects once and delivers one copy', async () => {
    const server = await startServer({
      onMailFrom: (transaction) =>
        transaction > 1
          ? Object.assign(new Error('4.4.2 Connection idle too long, closing'), { responseCode: 421 })
          : undefined,
    });
    const connection = await smtp.connect(settings(server), passwordCredentials(USER, PLANTED_PASSWORD), {
      pool: { maxConnections: 1 },
    });
    await connection.send(mail('first'));
    await connection.send(mail('second'));
    await connection.close();
    expect(server.delivered).toEqual(['first', 'second']);
    expect(server.mailFromCount).toBe(3);
  });

  it('reconnects only once: a second refusal is the classified error', async () => {
    const server = await startServer({ onMailFrom: () => 'drop' });
    const connection = await smtp.connect(settings(server), passwordCredentials(USER, PLANTED_PASSWORD));
    const error = await connection.send(mail('never')).catch((e: unknown) => e);
    connection.dispose();
    expect(error).toMatchObject({
      code: 'SMTP_CONNECTION_LOST',
      action: 'retry',
      details: { mayHaveBeenDelivered: false },
    });
    expect(server.mailFromCount).toBe(2);
    expect(server.delivered).toEqual([]);
  });
});

describe('never after the end of DATA', () => {
  it.each([
    ['one session per send', false as const],
    ['pooled', { maxConnections: 1 }],
  ])(
    '%s: the server drops the connection after the final "." → no retry, one copy, "may have been delivered"',
    async (_name, pool) => {
      const server = await startServer({ dropAfterData: true });
      const connection = await smtp.connect(settings(server), passwordCredentials(USER, PLANTED_PASSWORD), {
        pool,
      });
      const error = await connection.send(mail('once')).catch((e: unknown) => e);
      connection.dispose();
      expect(error).toMatchObject({
        code: 'SMTP_DELIVERY_UNCONFIRMED',
        action: 'retry',
        details: { reason: 'SMTP_CONNECTION_LOST', mayHaveBeenDelivered: true },
      });
      expect((error as Error).message).toMatch(/may already have received/);
      expect(server.delivered).toEqual(['once']);
      expect(server.mailFromCount).toBe(1);
    },
  );
});
