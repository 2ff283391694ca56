import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
import { createLineConnection, type LineConnection } from './line-connection.js';

export interface RunningTcpServer {
  port: number;
  close(): Promise<void>;
}

export interface TcpServerOptions {
  host: string;
  port: number;
  /** Implicit TLS: the handshake happens before the greeting. */
  secure: boolean;
  tlsContext: SecureContext;
  onConnection(connection: LineConnection): Promise<void>;
}

export const secureContextFrom = (tls: { keyPem: string; certPem: string }): SecureContext =>
  createSecureContext({ key: tls.keyPem, cert: tls.certPem });

/** Listens, runs one session per connection, and on close() drops every open connection. */
export async function startTcpServer(options: TcpServerOptions): Promise<RunningTcpServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((raw) => {
    sockets.add(raw);
    // Untagged and tagged lines are separate writes; Nagle + delayed ACK would add ~40 ms each.
    raw.setNoDelay(true);
    raw.on('close', () => sockets.delete(raw));
    raw.on('error', () => raw.destroy());
    let socket: Socket = raw;
    if (options.secure) {
      const secureSocket = new TLSSocket(raw, { isServer: true, secureContext: options.tlsContext });
      secureSocket.on('error', () => raw.destroy());
      socket = secureSocket;
    }
    const connection = createLineConnection(socket, options.secure);
    // A failed handshake closes the socket without 'secure'; no session is started then.
    const begin = options.secure
      ? new Promise<boolean>((resolve) => {
          socket.once('secure', () => resolve(true));
          socket.once('close', () => resolve(false));
        })
      : Promise.resolve(true);
    begin
      .then((ready) => (ready ? options.onConnection(connection) : undefined))
      .catch(() => undefined)
      .finally(() => connection.close());
  });
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
