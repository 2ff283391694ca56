import type { ServerSettings } from '@mailplug/core';
import type { Emulator } from '@mailplug/emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGraphProtocol } from '../src/index.js';
import { ALICE, appOnlySource, BOB, startCountingForwarder, startGraphEmulator } from './support.js';

/**
 * The cap is observed where it matters — at the server: a loopback forwarder in front of the
 * emulator counts the requests it holds at once, and a delay fault keeps each one open long
 * enough for every send to be waiting.
 */
describe('per-mailbox concurrency cap', () => {
  let emulator: Emulator;
  let forwarder: Awaited<ReturnType<typeof startCountingForwarder>>;
  let server: ServerSettings;

  beforeAll(async () => {
    emulator = await startGraphEmulator();
    forwarder = await startCountingForwarder(emulator);
    server = {
      host: '127.0.0.1',
      port: forwarder.port,
      security: 'none',
      allowInsecureAuth: true,
      timeoutMs: 20_000,
    };
  });
  afterEach(() => {
    emulator.inject.clear();
    forwarder.reset();
  });
  afterAll(async () => {
    await forwarder?.close();
    await emulator?.stop();
  });

  const slowGraph = () =>
    emulator.inject.microsoft({ endpoint: 'sendMail', delayMs: 150, times: Number.POSITIVE_INFINITY });
  const messages = (n: number, tag: string) =>
    Array.from({ length: n }, (_, i) => ({ to: BOB, subject: `${tag} ${i}`, text: 'x' }));

  it('12 concurrent sends keep at most 4 requests in flight (Graph default), and all are delivered', async () => {
    slowGraph();
    const graph = createGraphProtocol({ basePath: '/graph' });
    const connection = await graph.connect(server, appOnlySource(emulator));
    const results = await Promise.all(messages(12, 'cap4').map((m) => connection.send(m)));
    await connection.close();
    expect(results).toHaveLength(12);
    expect(forwarder.maxInFlight()).toBe(4);
    expect(emulator.mail.list(BOB).filter((m) => m.subject.startsWith('cap4 '))).toHaveLength(12);
  });

  it('the cap is per mailbox across connections of one protocol instance', async () => {
    slowGraph();
    const graph = createGraphProtocol({ basePath: '/graph' });
    const first = await graph.connect(server, appOnlySource(emulator));
    const second = await graph.connect(server, appOnlySource(emulator));
    const forBob = await graph.connect(server, appOnlySource(emulator, { mailbox: BOB }));
    await Promise.all([
      ...messages(6, 'shared-a').map((m) => first.send(m)),
      ...messages(6, 'shared-b').map((m) => second.send(m)),
      ...messages(6, 'own').map((m) => forBob.send({ ...m, to: ALICE })),
    ]);
    await Promise.all([first.close(), second.close(), forBob.close()]);
    const perMailbox = forwarder.perMailboxMax();
    expect(perMailbox.get(ALICE)).toBe(4);
    expect(perMailbox.get(BOB)).toBe(4);
    expect(forwarder.maxInFlight()).toBe(8);
  });

  it('maxConcurrentRequestsPerMailbox lowers the cap', async () => {
    slowGraph();
    const graph = createGraphProtocol({ basePath: '/graph', maxConcurrentRequestsPerMailbox: 2 });
    const connection = await graph.connect(server, appOnlySource(emulator));
    await Promise.all(messages(6, 'cap2').map((m) => connection.send(m)));
    await connection.close();
    expect(forwarder.maxInFlight()).toBe(2);
  });

  it('a send cancelled while waiting for a slot leaves the line without a request', async () => {
    slowGraph();
    const graph = createGraphProtocol({ basePath: '/graph', maxConcurrentRequestsPerMailbox: 1 });
    const connection = await graph.connect(server, appOnlySource(emulator));
    const before = emulator.requests.filter((r) => r.path.startsWith('/graph/')).length;
    const controller = new AbortController();
    const running = connection.send({ to: BOB, subject: 'holder', text: 'x' });
    const waiting = connection.send({ to: BOB, subject: 'waiter', text: 'x' }, { signal: controller.signal });
    const graphRequests = () => emulator.requests.filter((r) => r.path.startsWith('/graph/')).length;
    await vi.waitFor(() => expect(graphRequests() - before).toBe(1));
    controller.abort();
    await expect(waiting).rejects.toMatchObject({
      code: 'SEND_CANCELLED',
      details: { mayHaveBeenDelivered: false },
    });
    await running;
    await connection.close();
    expect(emulator.requests.filter((r) => r.path.startsWith('/graph/')).length - before).toBe(1);
  });
});
