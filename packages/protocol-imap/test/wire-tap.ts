import type net from 'node:net';
import tls from 'node:tls';
import type { ServerSettings } from '@mailplug/core';
import { createLocalCa } from '@mailplug/emulator';

export interface ImapWireTap {
  /** Point the client here (implicit TLS, trusting the tap's own CA). */
  readonly server: ServerSettings;
  /** Every command line the client sent, in order, with its tag removed (`UID FETCH 7 (...)`). */
  readonly commands: string[];
  /** Sizes of the literals (`{n}`) the server sent, e.g. message bodies, in order. */
  readonly literals: number[];
  close(): Promise<void>;
}

/**
 * A TLS-terminating proxy in front of an implicit-TLS IMAP server that records what the client
 * sends, so tests can count round trips on the wire rather than trust the client's account of
 * them. Client data is handled line by line (client literals are not framed: enough for FETCH).
 */
export async function startImapWireTap(
  upstream: ServerSettings,
  options: {
    /** Rewrites server response lines (never literal bytes) on their way to the client. */
    rewriteServerLine?: (line: string) => string;
    /** Rewrites client command lines (tag included) on their way to the server; `commands` keeps the originals. */
    rewriteClientLine?: (line: string) => string;
  } = {},
): Promise<ImapWireTap> {
  const ca = await createLocalCa();
  const { keyPem, certPem } = ca.issueServerCert(['localhost']);
  const commands: string[] = [];
  const literals: number[] = [];
  const sockets = new Set<net.Socket>();
  const proxy = tls.createServer({ key: keyPem, cert: certPem }, (client) => {
    const server = tls.connect({
      host: upstream.host,
      port: upstream.port,
      ...(upstream.tls?.ca ? { ca: upstream.tls.ca as string } : {}),
    });
    for (const s of [client, server]) {
      sockets.add(s);
      s.on('error', () => {
        client.destroy();
        server.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    let pending = '';
    client.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      for (let i = pending.indexOf('\r\n'); i >= 0; i = pending.indexOf('\r\n')) {
        const line = pending.slice(0, i);
        pending = pending.slice(i + 2);
        commands.push(line.replace(/^\S+ /, ''));
        const forwarded = options.rewriteClientLine ? options.rewriteClientLine(line) : line;
        server.write(Buffer.from(`${forwarded}\r\n`, 'latin1'));
      }
    });
    client.on('end', () => server.end());
    // Server to client: frame lines and literals so that only lines are ever rewritten.
    let received = Buffer.alloc(0);
    let literalLeft = 0;
    server.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      for (;;) {
        if (literalLeft > 0) {
          const take = Math.min(literalLeft, received.length);
          if (take === 0) return;
          client.write(received.subarray(0, take));
          received = received.subarray(take);
          literalLeft -= take;
          continue;
        }
        const end = received.indexOf('\r\n');
        if (end < 0) return;
        const raw = received.subarray(0, end).toString('latin1');
        received = received.subarray(end + 2);
        const literal = /\{(\d+)\}$/.exec(raw);
        if (literal) {
          literalLeft = Number(literal[1]);
          literals.push(literalLeft);
        }
        const line = options.rewriteServerLine ? options.rewriteServerLine(raw) : raw;
        client.write(Buffer.from(`${line}\r\n`, 'latin1'));
      }
    });
    server.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as net.AddressInfo;
  return {
    server: { ...upstream, port, security: 'tls', tls: { ca: ca.caCertPem } },
    commands,
    literals,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await ca.dispose();
    },
  };
}
