import { type SmtpTestServer, startSmtpTestServer } from '@mailplug/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createSmtpProtocol, smtp } from './index.js';
import { countingTokenSource, message } from './test-support.js';

const USER = 'ann@example.test';
let server: SmtpTestServer;
afterEach(async () => {
  await server?.close();
});

describe('pooled sending', () => {
  it('delivers 40 messages over 4 pooled connections with one token request', async () => {
    const { source, state } = countingTokenSource(USER);
    server = await startSmtpTestServer({ validateToken: (_u, t) => t === 'planted-token-1-a8f3e1' });
    const connection = await smtp.connect(server.settings, source, {
      pool: { maxConnections: 4, maxMessagesPerConnection: 5 },
    });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        connection.send({ ...message, to: `rcpt${i}@example.test`, subject: `m${i}` }),
      ),
    );
    await connection.close();
    expect(results.every((r) => r.accepted.length === 1)).toBe(true);
    expect(server.messages).toHaveLength(40);
    expect(new Set(server.messages.map((m) => m.envelope.to[0])).size).toBe(40);
    // 40 messages / 5 per connection = at least 8 logins, each asking the CredentialSource...
    expect(server.authSuccesses.XOAUTH2).toBeGreaterThanOrEqual(8);
    expect(state.calls).toBeGreaterThanOrEqual(9);
    // ...which minted exactly one token for all of them.
    expect(state.mints).toBe(1);
    expect(state.forcedCalls).toBe(0);
  });

  it('bounds the wait list: sends beyond maxQueuedMessages are refused with SMTP_QUEUE_FULL', async () => {
    const { source } = countingTokenSource(USER);
    server = await startSmtpTestServer({ validateToken: () => true });
    const protocol = createSmtpProtocol({ maxQueuedMessages: 2 });
    const connection = await protocol.connect(server.settings, source, {
      pool: { maxConnections: 1 },
    });
    const sends = Array.from({ length: 4 }, (_, i) =>
      connection.send({ ...message, subject: `q${i}` }).then(
        () => 'sent',
        (e: { code: string }) => e.code,
      ),
    );
    expect(await Promise.all(sends)).toEqual(['sent', 'sent', 'sent', 'SMTP_QUEUE_FULL']);
    await connection.close();
    expect(server.messages).toHaveLength(3);
  });

  it('close() waits for queued sends; send() after close is a developer error', async () => {
    const { source } = countingTokenSource(USER);
    server = await startSmtpTestServer({ validateToken: () => true });
    const connection = await smtp.connect(server.settings, source, {
      pool: { maxConnections: 2, rateLimitPerSecond: 100 },
    });
    const pending = Array.from({ length: 6 }, () => connection.send(message));
    await connection.close();
    expect(server.messages).toHaveLength(6);
    await expect(Promise.all(pending)).resolves.toHaveLength(6);
    await expect(connection.send(message)).rejects.toMatchObject({
      code: 'SMTP_CONNECTION_CLOSED',
      action: 'developer',
    });
  });

  it('single (unpooled) sends each authenticate and still reuse the cached token', async () => {
    const { source, state } = countingTokenSource(USER);
    server = await startSmtpTestServer({ validateToken: () => true });
    const connection = await smtp.connect(server.settings, source);
    for (let i = 0; i < 3; i++) await connection.send(message);
    connection.dispose();
    // One SMTP session per send (plus connect()'s reachability check, which never speaks SMTP).
    expect(server.connectionCount).toBeGreaterThanOrEqual(3);
    expect(server.authSuccesses.XOAUTH2).toBe(3);
    expect(state.mints).toBe(1);
  });
});
