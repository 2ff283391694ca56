import net from 'node:net';
import type { Emulator } from '@mailplug/emulator';
import { passwordCredentials, startTinyproxyTestServer, type TinyproxyTestServer } from '@mailplug/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createImapProtocol } from '../src/index.js';
import { alicePassword, imapServer, message, startImapEmulator, USER } from './helpers.js';

const MiB = 1024 * 1024;
const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A raw TCP peer on 127.0.0.1 that runs `behave` for every connection. */
async function peer(behave: (socket: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    behave(socket);
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return (server.address() as net.AddressInfo).port;
}

const plain = (port: number, timeoutMs: number) =>
  ({ host: '127.0.0.1', port, security: 'none', allowInsecureAuth: true, timeoutMs }) as const;

const connectError = (protocol: ReturnType<typeof createImapProtocol>, port: number, timeoutMs: number) =>
  protocol.connect(plain(port, timeoutMs), passwordCredentials(USER, 'planted-imap-Pa55')).then(
    (c) => {
      c.dispose();
      return undefined;
    },
    (e: unknown) => e,
  );

describe('a hostile IMAP server cannot make the client buffer without bound', () => {
  it('an endless greeting line ends with IMAP_RESPONSE_TOO_LARGE once the line passes maxMessageBytes', async () => {
    let sent = 0;
    let hungUp: Promise<unknown> = Promise.resolve();
    const port = await peer((socket) => {
      hungUp = new Promise((resolve) => socket.once('close', resolve));
      socket.write('* OK ');
      const chunk = Buffer.alloc(64 * 1024, 'A');
      // Keeps writing (honouring backpressure) until the client hangs up, with a safety cap.
      const pump = () => {
        while (!socket.destroyed && sent < 512 * MiB) {
          sent += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    const imap = createImapProtocol({ silenceDeprecation: true, maxMessageBytes: MiB });
    const error = await connectError(imap, port, 60_000);
    await hungUp;
    expect(error).toMatchObject({
      code: 'IMAP_RESPONSE_TOO_LARGE',
      action: 'admin',
      details: { errorCode: 'LineTooLarge' },
    });
    // imapflow's default limit is 1 GiB; the client hung up after about 1 MiB plus socket buffers.
    expect(sent).toBeGreaterThan(MiB);
    expect(sent).toBeLessThan(128 * MiB);
  });

  it('accepts TCP and never greets → TIMEOUT (retry) from the greeting deadline', async () => {
    const port = await peer(() => undefined);
    const error = await connectError(createImapProtocol({ silenceDeprecation: true }), port, 300);
    expect(error).toMatchObject({
      code: 'TIMEOUT',
      action: 'retry',
      details: { errorCode: 'GREETING_TIMEOUT' },
    });
  });

  it('greets and never answers a command → TIMEOUT (retry) from the connect deadline', async () => {
    const commands: string[] = [];
    const port = await peer((socket) => {
      socket.write('* OK IMAP4rev1 ready\r\n');
      socket.on('data', (data: Buffer) => commands.push(data.toString('latin1')));
    });
    const error = await connectError(createImapProtocol({ silenceDeprecation: true }), port, 300);
    expect(error).toMatchObject({
      code: 'TIMEOUT',
      action: 'retry',
      details: { timeout: 'CONNECT_DEADLINE', deadlineMs: 900 },
    });
    expect(commands.join('')).toMatch(/CAPABILITY/);
  });
});

describe('IMAP through a real HTTP CONNECT proxy (tinyproxy)', () => {
  let emulator: Emulator;
  let tinyproxy: TinyproxyTestServer;
  beforeAll(async () => {
    emulator = await startImapEmulator();
    tinyproxy = await startTinyproxyTestServer();
  });
  afterAll(async () => {
    await tinyproxy?.stop();
    await emulator?.stop();
  });

  it('signs in and lists over the tunnel; the proxy log shows the CONNECT to the IMAP port', async () => {
    emulator.mail?.deliver(USER, message('via proxy'));
    const server = imapServer(emulator, 'tls');
    const imap = createImapProtocol({ silenceDeprecation: true, proxy: tinyproxy.url });
    const connection = await imap.connect(server, passwordCredentials(USER, alicePassword(emulator)));
    try {
      expect((await connection.list()).length).toBeGreaterThan(0);
    } finally {
      await connection.close();
    }
    expect(await tinyproxy.connectRequests()).toEqual([`127.0.0.1:${server.port}`]);
  });

  it('a per-server function can keep a server direct', async () => {
    const before = (await tinyproxy.connectRequests()).length;
    const imap = createImapProtocol({ silenceDeprecation: true, proxy: () => undefined });
    const connection = await imap.connect(
      imapServer(emulator, 'tls'),
      passwordCredentials(USER, alicePassword(emulator)),
    );
    await connection.close();
    expect((await tinyproxy.connectRequests()).length).toBe(before);
  });
});
