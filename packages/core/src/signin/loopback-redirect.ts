import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreErrorCode, mailplugError } from '../errors/codes.js';

export interface LoopbackRedirectOptions {
  /** Loopback address to bind; only loopback addresses are accepted. Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0 (an ephemeral port, as RFC 8252 recommends for native apps). */
  readonly port?: number;
  /** Path of the redirect URI. Default `/callback`. */
  readonly path?: string;
  /** How long to wait for the browser to come back. Default 5 minutes. */
  readonly timeoutMs?: number;
  /** HTML shown in the browser tab once the parameters are received. */
  readonly successHtml?: string;
}

export interface LoopbackRedirect {
  /** Register this exact URI with the identity provider (Google accepts any loopback port). */
  readonly redirectUri: string;
  /** Resolves with the query parameters of the first request to the redirect path. */
  waitForCallback(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * A one-shot HTTP listener on a loopback address, so CLI and desktop hosts can complete an
 * OAuth redirect without running a web server of their own.
 *
 * @example
 * const lb = await startLoopbackRedirect();
 * const start = await session.interactive.begin({ redirectUri: lb.redirectUri });
 * openBrowser(start.url);
 * await session.interactive.complete(await lb.waitForCallback());
 * await lb.close();
 */
export async function startLoopbackRedirect(
  options: LoopbackRedirectOptions = {},
): Promise<LoopbackRedirect> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) {
    throw mailplugError(
      CoreErrorCode.ConfigInvalid,
      'developer',
      `Loopback redirect host "${host}" is not a loopback address.`,
      'Use 127.0.0.1, ::1 or localhost; the redirect must never listen on a public interface.',
    );
  }
  const path = options.path ?? '/callback';
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  let settle: { resolve(v: Record<string, string>): void; reject(e: unknown): void } | undefined;
  const received = new Promise<Record<string, string>>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Avoid an unhandled rejection if the host never waits.
  received.catch(() => undefined);

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://loopback');
    if (url.pathname !== path) {
      res.writeHead(404).end();
      return;
    }
    const params = Object.fromEntries(url.searchParams.entries());
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(
      options.successHtml ??
        '<!doctype html><title>Signed in</title><p>You can close this window and return to the application.</p>',
    );
    settle?.resolve(params);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const uriHost = host === '::1' ? '[::1]' : host;
  const timer = setTimeout(() => {
    settle?.reject(
      mailplugError(
        CoreErrorCode.Timeout,
        'user',
        'Sign-in was not completed in time.',
        'Start the sign-in again and finish it in the browser window that opens.',
      ),
    );
  }, timeoutMs);
  timer.unref();

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    redirectUri: `http://${uriHost}:${port}${path}`,
    waitForCallback: () => received,
    close,
  };
}
