import net from 'node:net';
import type { SendPoolOptions, ServerSettings } from '@mailplug/core';
import nodemailer, { type Transporter } from 'nodemailer';
import { classifySmtpError, PROXY_FAILURE } from './classify.js';
import { trackDeliveryProgress } from './delivery-progress.js';
import type { SmtpProxy } from './proxy.js';
import type { SmtpWireOptions } from './server-options.js';

type SocketCallback = (error: Error | null, socketOptions?: { connection?: net.Socket }) => void;
type GetSocket = (options: Record<string, unknown>, callback: SocketCallback) => void;

/** The part of nodemailer's Mailer that opens (proxied) sockets; set up by its `proxy` option. */
interface SocketSource {
  getSocket?: GetSocket | false;
}

export interface SmtpTransportSetup {
  readonly wire: SmtpWireOptions;
  /** nodemailer `auth` and `customAuth`. */
  readonly login: Record<string, unknown>;
  readonly pool?: SendPoolOptions | undefined;
  readonly proxy?: SmtpProxy | undefined;
}

/**
 * One nodemailer transport (pooled or one session per send) with Mailplug's rules: nodemailer
 * never re-sends a message on its own (`maxRequeues: 0`; the send path decides, see
 * send-connection.ts), delivery progress is tracked per message, and proxy failures are marked.
 */
export function createSmtpTransport(setup: SmtpTransportSetup): Transporter {
  const { wire, login, pool, proxy } = setup;
  const base = { ...wire, ...login, ...(proxy ? { proxy: proxy.url } : {}) };
  const transport = pool
    ? nodemailer.createTransport({
        ...base,
        pool: true,
        maxConnections: pool.maxConnections ?? 5,
        maxMessages: pool.maxMessagesPerConnection ?? 100,
        maxRequeues: 0,
        ...(pool.rateLimitPerSecond ? { rateLimit: pool.rateLimitPerSecond, rateDelta: 1000 } : {}),
      } as Parameters<typeof nodemailer.createTransport>[0])
    : nodemailer.createTransport(base as Parameters<typeof nodemailer.createTransport>[0]);
  // The pool reports idle-connection failures as events; sends report their own errors.
  transport.on('error', () => undefined);
  trackDeliveryProgress(transport);
  if (proxy) markProxyFailures(transport as unknown as SocketSource);
  return transport;
}

/** Tags errors from the proxy handshake so the classifier can blame the proxy, not the mail server. */
function markProxyFailures(source: SocketSource): void {
  const open = source.getSocket;
  if (!open) return;
  source.getSocket = (options, callback) =>
    open(options, (error, socketOptions) => {
      if (error) Object.defineProperty(error, PROXY_FAILURE, { value: true });
      callback(error, socketOptions);
    });
}

/**
 * A TCP connection to the server, directly or through the proxy's CONNECT tunnel (nodemailer's own
 * proxy client), within `timeoutMs`. Used by connect()'s reachability check and the probe.
 */
export async function openSmtpSocket(
  server: ServerSettings,
  timeoutMs: number,
  proxy?: SmtpProxy,
): Promise<net.Socket> {
  if (!proxy) {
    return new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: server.host, port: server.port });
      socket.setTimeout(timeoutMs, () =>
        socket.destroy(Object.assign(new Error('Connection timed out'), { code: 'ETIMEDOUT' })),
      );
      socket.once('connect', () => {
        socket.setTimeout(0);
        resolve(socket);
      });
      socket.once('error', reject);
    });
  }
  const tunnel = createSmtpTransport({
    wire: { connectionTimeout: timeoutMs } as SmtpWireOptions,
    login: {},
    proxy,
  });
  const source = tunnel as unknown as SocketSource;
  try {
    return await new Promise<net.Socket>((resolve, reject) => {
      if (!source.getSocket) return reject(new Error('nodemailer did not set up the proxy'));
      source.getSocket(
        { host: server.host, port: server.port, connectStartedAt: Date.now() },
        (error, opened) =>
          error || !opened?.connection
            ? reject(error ?? new Error('No proxied socket'))
            : resolve(opened.connection),
      );
    });
  } finally {
    tunnel.close();
  }
}

/** Fails fast for a wrong host, port or proxy (classified: refused / not found / timeout / proxy). */
export async function checkReachable(
  server: ServerSettings,
  timeoutMs: number,
  proxy?: SmtpProxy,
): Promise<void> {
  try {
    const socket = await openSmtpSocket(server, timeoutMs, proxy);
    socket.destroy();
  } catch (error) {
    throw classifySmtpError(error, {
      host: server.host,
      port: server.port,
      ...(proxy ? { proxy: proxy.endpoint } : {}),
    });
  }
}
