import type { ServerSettings } from '@mailplug/core';
import { describe, expect, it } from 'vitest';
import { smtpDeadlines } from './index.js';
import { type RawSmtpServer, rawSmtpServersPerTest, smtpSessions } from './test-raw-smtp.js';
import { message, sendOnce } from './test-support.js';

// Hung peers on loopback: each test asserts the classified error a deadline produces, never how long it took.
const startPeer = rawSmtpServersPerTest();

function settings(peer: RawSmtpServer, timeoutMs: number): ServerSettings {
  return { host: peer.host, port: peer.port, security: 'none', allowInsecureAuth: true, timeoutMs };
}

describe('smtpDeadlines', () => {
  it('derives every bound from server.timeoutMs (default 60 s), the whole send from 3 × T', () => {
    expect(smtpDeadlines({ timeoutMs: 120_000 })).toEqual({
      connectMs: 120_000,
      greetingMs: 120_000,
      inactivityMs: 120_000,
      sendMs: 360_000,
    });
    expect(smtpDeadlines({})).toEqual({
      connectMs: 60_000,
      greetingMs: 60_000,
      inactivityMs: 60_000,
      sendMs: 180_000,
    });
    expect(smtpDeadlines({ timeoutMs: 0 }).connectMs).toBe(60_000);
  });
});

describe('a hung peer becomes a classified retry error', () => {
  it('accepts TCP and never greets → SMTP_TIMEOUT (greeting), nothing delivered, no second session', async () => {
    const peer = await startPeer({ greeting: () => null });
    const error = await sendOnce(settings(peer, 300), { end: 'dispose' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'SMTP_TIMEOUT',
      action: 'retry',
      details: { timeout: 'GREETING_TIMEOUT', mayHaveBeenDelivered: false },
    });
    // connect()'s reachability check plus exactly one SMTP attempt: timeouts are never retried.
    expect(peer.sessions).toHaveLength(2);
  });

  it('greets and never answers AUTH → SMTP_TIMEOUT (socket inactivity) at the AUTH step', async () => {
    const peer = await startPeer({ command: (line) => (/^AUTH /i.test(line) ? null : undefined) });
    const error = await sendOnce(settings(peer, 300), { end: 'dispose' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'SMTP_TIMEOUT',
      action: 'retry',
      details: { timeout: 'SOCKET_TIMEOUT', mayHaveBeenDelivered: false },
    });
    const [session] = smtpSessions(peer);
    expect(session?.commands.at(-1)).toMatch(/^AUTH PLAIN/);
    expect(smtpSessions(peer)).toHaveLength(1);
    expect(peer.messagesReceived).toBe(0);
  });

  it('stops reading in the middle of DATA → SMTP_TIMEOUT, and the message is known not to be delivered', async () => {
    const peer = await startPeer({ dataStarted: (session) => session.socket.pause() });
    // More content than loopback socket buffers hold, so the client cannot finish writing it.
    const attachment = Buffer.alloc(8 * 1024 * 1024, 7);
    const error = await sendOnce(settings(peer, 1000), {
      message: { ...message, attachments: [{ filename: 'big.bin', content: attachment }] },
      end: 'dispose',
    }).catch((e: unknown) => e);
    // Socket inactivity or the whole-send deadline, whichever the machine's speed makes fire first.
    expect(error).toMatchObject({
      code: 'SMTP_TIMEOUT',
      action: 'retry',
      details: {
        timeout: expect.stringMatching(/^(SOCKET_TIMEOUT|SEND_DEADLINE)$/),
        mayHaveBeenDelivered: false,
      },
    });
    expect(smtpSessions(peer)[0]?.commands.at(-1)).toBe('DATA');
    expect(peer.messagesReceived).toBe(0);
  });

  it('trickles the reply to the end of data forever → the whole-send deadline ends it; delivery unconfirmed', async () => {
    const trickles: NodeJS.Timeout[] = [];
    const peer = await startPeer({
      dataEnded(session) {
        // A byte every 50 ms keeps the socket "active", so only the whole-send deadline can end this.
        trickles.push(setInterval(() => session.write('250-still thinking\r\n'), 50));
        return null;
      },
    });
    try {
      const error = await sendOnce(settings(peer, 1000), { end: 'dispose' }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'SMTP_DELIVERY_UNCONFIRMED',
        action: 'retry',
        details: { reason: 'SMTP_TIMEOUT', timeout: 'SEND_DEADLINE', mayHaveBeenDelivered: true },
      });
      expect((error as { hint: string }).hint).toMatch(/before sending it again/);
      // The peer got the whole message once and no automatic retry followed.
      expect(peer.messagesReceived).toBe(1);
      expect(smtpSessions(peer)).toHaveLength(1);
    } finally {
      for (const t of trickles) clearInterval(t);
    }
  });

  it('trickles the AUTH reply forever → SMTP_TIMEOUT (send deadline), not retried, nothing delivered', async () => {
    const trickles: NodeJS.Timeout[] = [];
    const peer = await startPeer({
      command(line, session) {
        if (!/^AUTH /i.test(line)) return undefined;
        trickles.push(setInterval(() => session.write('235-almost\r\n'), 50));
        return null;
      },
    });
    try {
      const error = await sendOnce(settings(peer, 1000), { end: 'dispose' }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'SMTP_TIMEOUT',
        action: 'retry',
        details: { timeout: 'SEND_DEADLINE', mayHaveBeenDelivered: false },
      });
      expect(smtpSessions(peer)).toHaveLength(1);
    } finally {
      for (const t of trickles) clearInterval(t);
    }
  });
});

describe('AbortSignal', () => {
  it('an abort while the server sits on AUTH ends the send with SEND_CANCELLED', async () => {
    const controller = new AbortController();
    const peer = await startPeer({
      command(line) {
        if (!/^AUTH /i.test(line)) return undefined;
        controller.abort(new Error('host shutting down'));
        return null;
      },
    });
    // A long timeout: only the abort can end this send.
    const error = await sendOnce(settings(peer, 60_000), { signal: controller.signal, end: 'dispose' }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: 'SEND_CANCELLED',
      action: 'retry',
      details: { mayHaveBeenDelivered: false },
    });
    expect(peer.messagesReceived).toBe(0);
  });

  it('an already aborted signal sends nothing', async () => {
    const peer = await startPeer();
    const error = await sendOnce(settings(peer, 60_000), {
      signal: AbortSignal.abort(),
      end: 'dispose',
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SEND_CANCELLED', action: 'retry' });
    expect(smtpSessions(peer)).toHaveLength(0);
  });
});
