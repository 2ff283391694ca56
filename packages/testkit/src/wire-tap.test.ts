import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from './certificates/index.js';
import { startWireTap, type WireTap } from './wire-tap.js';

/**
 * A tiny line server: answers `ECHO x` with `OK x`, and `LIT n` with an IMAP-style literal of n
 * octets that itself contains CRLFs, then `OK done`.
 */
function lineServer(secure?: { certPem: string; keyPem: string }) {
  const received: string[] = [];
  const serve = (socket: net.Socket) => {
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        received.push(line);
        const literal = /^LIT (\d+)$/.exec(line);
        if (literal) {
          const body = 'OK\r\nb\r\n'.padEnd(Number(literal[1]), 'x');
          socket.write(`* {${body.length}}\r\n${body}\r\nOK done\r\n`);
        } else socket.write(`OK ${line.replace(/^ECHO /, '')}\r\n`);
      }
    });
    socket.on('error', () => socket.destroy());
  };
  const server = secure
    ? tls.createServer({ key: secure.keyPem, cert: secure.certPem }, serve)
    : net.createServer(serve);
  return new Promise<{ port: number; received: string[]; close(): Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        received,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    );
  });
}

/** Sends `lines` in lockstep (the next once a reply line is in) and resolves with all received once it ends with `until`. */
function exchange(socket: net.Socket, lines: readonly string[], until: string) {
  const queue = [...lines];
  const sendNext = () => {
    const line = queue.shift();
    if (line !== undefined) socket.write(`${line}\r\n`);
  };
  return new Promise<string>((resolve, reject) => {
    let text = '';
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.endsWith(until)) resolve(text);
      else if (text.endsWith('\r\n')) sendNext();
    });
    sendNext();
  });
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
async function tapInFrontOf(options: Omit<Parameters<typeof startWireTap>[0], 'target'>, secure = false) {
  const ca = createCertificateAuthority();
  const target = await lineServer(secure ? ca.issueCertificate() : undefined);
  cleanups.push(target.close);
  const tap: WireTap = await startWireTap({
    target: { host: '127.0.0.1', port: target.port },
    ...(secure ? { tls: { targetCa: ca.caCertPem } } : {}),
    ...options,
  });
  cleanups.push(tap.close);
  return { tap, target };
}

describe('startWireTap', () => {
  it('hands every client line to onClientLine and forwards what it returns: unchanged, rewritten or refused', async () => {
    const seen: string[] = [];
    const { tap, target } = await tapInFrontOf({
      onClientLine(line, connection) {
        seen.push(line);
        if (line === 'ECHO secret') return 'ECHO [rewritten]';
        if (line.length > 12) {
          connection.writeToClient('500 too long\r\n');
          return null;
        }
        return undefined;
      },
    });
    const client = net.connect(tap.port, tap.host);
    cleanups.push(() => void client.destroy());
    const text = await exchange(
      client,
      ['ECHO one', 'ECHO secret', 'ECHO far too long', 'ECHO two'],
      'OK two\r\n',
    );

    expect(seen).toEqual(['ECHO one', 'ECHO secret', 'ECHO far too long', 'ECHO two']);
    expect(target.received).toEqual(['ECHO one', 'ECHO [rewritten]', 'ECHO two']);
    expect(text).toBe('OK one\r\nOK [rewritten]\r\n500 too long\r\nOK two\r\n');
    expect(tap.connectionCount).toBe(1);
    expect(tap.caPem).toBeUndefined();
  });

  it('rewrites server lines but passes raw octets after a line through byte for byte, unseen', async () => {
    const serverLines: string[] = [];
    const { tap } = await tapInFrontOf({
      serverRawOctetsAfter: (line) => Number(/\{(\d+)\}$/.exec(line)?.[1] ?? 0),
      onServerLine(line) {
        serverLines.push(line);
        return line.replace('OK', 'ok');
      },
    });
    const client = net.connect(tap.port, tap.host);
    cleanups.push(() => void client.destroy());
    const text = await exchange(client, ['LIT 20'], 'ok done\r\n');

    // The literal holds CRLFs and an "OK": none of it reached onServerLine or was rewritten.
    expect(text).toBe(`* {20}\r\nOK\r\nb\r\n${'x'.repeat(13)}\r\nok done\r\n`);
    expect(serverLines).toEqual(['* {20}', '', 'OK done']);
  });

  it('terminates TLS on both sides: the client trusts caPem, the tap trusts the target’s CA', async () => {
    const seen: string[] = [];
    const { tap } = await tapInFrontOf({ onClientLine: (line) => void seen.push(line) }, true);
    expect(tap.caPem).toMatch(/BEGIN CERTIFICATE/);
    const client = tls.connect({ host: tap.host, port: tap.port, ca: tap.caPem, servername: 'localhost' });
    cleanups.push(() => void client.destroy());
    const text = await exchange(client, ['ECHO over tls'], 'OK over tls\r\n');

    expect(text).toBe('OK over tls\r\n');
    expect(seen).toEqual(['ECHO over tls']);
    expect(client.authorized).toBe(true);
  });

  it('a target the tap cannot verify drops the client connection', async () => {
    const { tap } = await tapInFrontOf({ tls: { targetCa: createCertificateAuthority().caCertPem } }, true);
    const client = tls.connect({ host: tap.host, port: tap.port, ca: tap.caPem, servername: 'localhost' });
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    client.on('error', () => client.destroy());
    client.write('ECHO lost\r\n');
    await closed;
    expect(client.destroyed).toBe(true);
  });

  it('close() ends open connections', async () => {
    const { tap } = await tapInFrontOf({});
    const client = net.connect(tap.port, tap.host);
    await exchange(client, ['ECHO hi'], 'OK hi\r\n');
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    client.on('error', () => client.destroy());
    await tap.close();
    await closed;
    expect(client.destroyed).toBe(true);
  });
});
