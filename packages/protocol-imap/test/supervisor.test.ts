import net from 'node:net';
import { backoffDelay, isMailplugError } from '@mailplug/core';
import type { Emulator } from '@mailplug/emulator';
import { passwordCredentials } from '@mailplug/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createImapProtocol,
  DEFAULT_BACKOFF,
  type SupervisorClock,
  type SupervisorEvent,
  superviseImap,
} from '../src/index.js';
import { alicePassword, imapServer, startImapEmulator, USER } from './helpers.js';

const imap = createImapProtocol({ silenceDeprecation: true });

/** A clock whose sleeps resolve at once but are recorded; `stopAfter` sleeps it disposes the supervisor. */
function fakeClock(
  random: number,
  onSleep: (ms: number, count: number) => void,
): SupervisorClock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => 0,
    random: () => random,
    async sleep(ms, signal) {
      signal.throwIfAborted();
      sleeps.push(ms);
      onSleep(ms, sleeps.length);
    },
  };
}

/** Accepts TCP connections and drops each one at once, counting them. */
async function droppingServer(): Promise<{
  port: number;
  accepted: () => number;
  close: () => Promise<void>;
}> {
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('reconnect delays (core backoffDelay under DEFAULT_BACKOFF)', () => {
  it('grows exponentially from the initial delay, never passes the ceiling, and jitter only shortens', () => {
    const policy = { ...DEFAULT_BACKOFF, initialDelayMs: 100, maxDelayMs: 1_000 };
    // The default jitter 0.5 randomises half of each step: random 0 gives the shortest delay...
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => backoffDelay(n, policy, () => 0))).toEqual([
      50, 100, 200, 400, 500, 500, 500,
    ]);
    // ...and a random just under 1 stays just under the capped step.
    expect([1, 2, 5, 50].map((n) => backoffDelay(n, policy, () => 0.999_999))).toEqual([99, 199, 999, 999]);
  });
});

describe('superviseImap', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startImapEmulator();
  });
  afterAll(() => emulator?.stop());

  it('backs off exponentially against a server that drops every connection: one attempt per sleep, no storm', async () => {
    const server = await droppingServer();
    const events: SupervisorEvent[] = [];
    let dispose: () => void = () => {};
    const clock = fakeClock(0, (_ms, count) => {
      if (count === 8) dispose();
    });
    const credentials = passwordCredentials(USER, 'never-sent');
    const supervisor = superviseImap({
      connect: () =>
        imap.connect(
          { host: '127.0.0.1', port: server.port, security: 'tls', timeoutMs: 5_000 },
          credentials,
        ),
      policy: { initialDelayMs: 1_000, maxDelayMs: 16_000 },
      clock,
      onEvent: (e) => events.push(e),
    });
    dispose = () => void supervisor.dispose();
    const outcome = await supervisor.stopped;

    expect(outcome).toBeUndefined();
    // random 0 under the default jitter 0.5: half of each doubling step, capped at 16 s.
    expect(clock.sleeps).toEqual([500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000, 8_000]);
    // Exactly one connection attempt per back-off period (the first needs none): no tight loop.
    expect(supervisor.attempts).toBe(8);
    expect(server.accepted()).toBe(8);
    const retrying = events.filter((e) => e.type === 'retrying');
    expect(retrying.every((e) => e.type === 'retrying' && e.error?.action === 'retry')).toBe(true);
    expect(credentials.requests).toHaveLength(0);
    await server.close();
  });

  it('reconnects after the server drops a live session, backing off while sessions stay short', async () => {
    const clock = fakeClock(0, () => {});
    const credentials = passwordCredentials(USER, alicePassword(emulator));
    let sessions = 0;
    const supervisor = superviseImap({
      connect: () => imap.connect(imapServer(emulator), credentials),
      // Simulates the server dropping the connection right after login.
      run: async (connection) => {
        sessions += 1;
        if (sessions === 3) void supervisor.dispose();
        connection.dispose();
        await connection.closed;
      },
      policy: { initialDelayMs: 500, stableAfterMs: 10_000 },
      clock,
    });
    expect(await supervisor.stopped).toBeUndefined();
    expect(sessions).toBe(3);
    expect(clock.sleeps).toEqual([250, 500]);
    expect(credentials.requests).toHaveLength(3);
  });

  it('stops instead of retrying when the credential is wrong', async () => {
    const clock = fakeClock(0, () => {});
    const supervisor = superviseImap({
      connect: () =>
        imap.connect(imapServer(emulator), passwordCredentials(USER, 'wrong-password-planted-99')),
      clock,
    });
    const error = await supervisor.stopped;
    expect(isMailplugError(error) && error.code).toBe('IMAP_AUTH_FAILED');
    expect(supervisor.attempts).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('ends cleanly when disposed while the first connect is still running', async () => {
    const supervisor = superviseImap({
      connect: () => imap.connect(imapServer(emulator), passwordCredentials(USER, alicePassword(emulator))),
      clock: fakeClock(0, () => {}),
    });
    const connected = new Promise<void>((resolve) => {
      const poll = () => (supervisor.attempts > 0 ? resolve() : setImmediate(poll));
      poll();
    });
    await connected;
    await supervisor.dispose();
    expect(await supervisor.stopped).toBeUndefined();
    expect(supervisor.attempts).toBe(1);
  });
});
