/**
 * A loopback proxy for line-based mail protocols that lets a test see, rewrite or refuse what
 * crosses the wire — so tests count commands on the wire instead of trusting a client's account.
 */
import net from 'node:net';
import tls from 'node:tls';
import { createCertificateAuthority } from './certificates/index.js';

/** The server the tap relays to. `ServerSettings` from core fits. */
export interface WireTapTarget {
  readonly host: string;
  readonly port: number;
}

export interface WireTapTlsOptions {
  /**
   * Certificate the tap presents to its client. Default: one for `localhost` and `127.0.0.1` from
   * a fresh in-memory CA, whose PEM the tap returns as `caPem`.
   */
  readonly serverCert?: { readonly certPem: string; readonly keyPem: string };
  /** CA the tap trusts when it connects to the target over TLS. Default: Node's bundled roots. */
  readonly targetCa?: string | readonly string[];
}

/** One client connection through the tap; the same object for every callback on that connection. */
export interface WireTapConnection {
  /** 0 for the first connection the tap accepted, then 1, 2, … */
  readonly index: number;
  /** Sends data straight to the client, e.g. the reply to a line the tap refused. */
  writeToClient(data: string): void;
}

export interface WireTapOptions {
  readonly target: WireTapTarget;
  /** Terminate TLS: the client connects to the tap over implicit TLS and the tap to the target over TLS. */
  readonly tls?: WireTapTlsOptions;
  /**
   * Sees every line the client sends (without CRLF), in order. Return a string to forward it
   * instead, `null` to refuse the line (not forwarded; answer with `connection.writeToClient`),
   * or nothing to forward it unchanged.
   */
  readonly onClientLine?: (line: string, connection: WireTapConnection) => string | null | undefined;
  /** Sees every line the server sends (without CRLF). Return a string to send it to the client instead. */
  readonly onServerLine?: (line: string, connection: WireTapConnection) => string | undefined;
  /**
   * How many octets after this server line are raw data to pass through without framing or
   * callbacks — an IMAP literal `{n}`, so that message bytes are never taken for lines.
   * Called with the line as the server sent it, before `onServerLine`. Default: none.
   */
  readonly serverRawOctetsAfter?: (line: string, connection: WireTapConnection) => number;
}

export interface WireTap {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** With `tls` and no `serverCert`: the CA PEM the client must trust. */
  readonly caPem?: string;
  /** Connections accepted so far. */
  readonly connectionCount: number;
  /** Destroys open connections and stops listening. */
  close(): Promise<void>;
}

const CRLF = '\r\n';

/**
 * Listens on 127.0.0.1:0 and relays each connection to `target`, framing both directions into
 * CRLF lines (latin1, so every byte round-trips) and handing them to the callbacks. A partial line
 * is held until its CRLF arrives. Client data is always framed as lines: a protocol whose client
 * sends length-prefixed data must not rewrite or refuse inside it.
 *
 * @example
 * const commands: string[] = [];
 * const tap = await startWireTap({
 *   target: { host: '127.0.0.1', port: imapPort },
 *   tls: { targetCa: serverCaPem },
 *   onClientLine: (line) => void commands.push(line),
 *   serverRawOctetsAfter: (line) => Number(/\{(\d+)\}$/.exec(line)?.[1] ?? 0),
 * });
 * // connect the client to tap.host:tap.port trusting tap.caPem, then assert on `commands`
 * await tap.close();
 */
export async function startWireTap(options: WireTapOptions): Promise<WireTap> {
  const sockets = new Set<net.Socket>();
  let connectionCount = 0;
  let caPem: string | undefined;
  let serverCert = options.tls?.serverCert;
  if (options.tls && !serverCert) {
    const ca = createCertificateAuthority({ commonName: 'Mailplug Wire Tap CA' });
    caPem = ca.caCertPem;
    serverCert = ca.issueCertificate();
  }

  const relay = (client: net.Socket) => {
    const { target } = options;
    const targetCa = options.tls?.targetCa;
    const upstream = options.tls
      ? tls.connect({
          host: target.host,
          port: target.port,
          ...(targetCa ? { ca: typeof targetCa === 'string' ? targetCa : [...targetCa] } : {}),
        })
      : net.connect({ host: target.host, port: target.port });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      // Either side failing ends the whole relay: the client sees the connection drop.
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    const connection: WireTapConnection = {
      index: connectionCount++,
      writeToClient: (data) => void client.write(Buffer.from(data, 'latin1')),
    };

    let fromClient = '';
    client.on('data', (chunk: Buffer) => {
      fromClient += chunk.toString('latin1');
      for (let end = fromClient.indexOf(CRLF); end >= 0; end = fromClient.indexOf(CRLF)) {
        const line = fromClient.slice(0, end);
        fromClient = fromClient.slice(end + 2);
        const forwarded = options.onClientLine?.(line, connection);
        if (forwarded === null) continue;
        upstream.write(Buffer.from(`${forwarded ?? line}${CRLF}`, 'latin1'));
      }
    });
    client.on('end', () => upstream.end());

    let fromServer: Buffer = Buffer.alloc(0);
    let rawLeft = 0;
    upstream.on('data', (chunk: Buffer) => {
      fromServer = fromServer.length > 0 ? Buffer.concat([fromServer, chunk]) : chunk;
      for (;;) {
        if (rawLeft > 0) {
          const take = Math.min(rawLeft, fromServer.length);
          if (take === 0) return;
          client.write(fromServer.subarray(0, take));
          fromServer = fromServer.subarray(take);
          rawLeft -= take;
          continue;
        }
        const end = fromServer.indexOf(CRLF);
        if (end < 0) return;
        const line = fromServer.subarray(0, end).toString('latin1');
        fromServer = fromServer.subarray(end + 2);
        rawLeft = options.serverRawOctetsAfter?.(line, connection) ?? 0;
        const sent = options.onServerLine?.(line, connection) ?? line;
        client.write(Buffer.from(`${sent}${CRLF}`, 'latin1'));
      }
    });
    upstream.on('end', () => client.end());
  };

  const server = serverCert
    ? tls.createServer({ key: serverCert.keyPem, cert: serverCert.certPem }, relay)
    : net.createServer(relay);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    host: '127.0.0.1',
    port: (server.address() as net.AddressInfo).port,
    ...(caPem ? { caPem } : {}),
    get connectionCount() {
      return connectionCount;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
