import {
  CoreErrorCode,
  isLoopbackHost,
  mailplugError,
  registerSecret,
  type ServerSettings,
} from '@mailplug/core';
import { Agent, type Dispatcher, EnvHttpProxyAgent, request } from 'undici';

/** Where HTTP requests go through a proxy; the same option names as the SMTP protocol's. */
export interface HttpProxyOptions {
  /**
   * HTTP(S) proxy URL for every request (`http://host:port`, credentials as `http://user:pass@host:port`).
   * Unset: the `HTTPS_PROXY` / `https_proxy` (and for plain http `HTTP_PROXY`) environment variables.
   * `false`: never a proxy, the environment ignored.
   */
  readonly proxy?: string | false;
  /** Hosts reached directly, in `NO_PROXY` syntax. Unset: the `NO_PROXY` / `no_proxy` environment variable. */
  readonly noProxy?: string;
}

/** The origin requests go to, and the client that carries them (TLS trust, proxy, keep-alive). */
export interface HttpTransport {
  /** `https://host[:port]` (or `http://` for a loopback host with `security: 'none'`). */
  readonly origin: string;
  request(url: string, init: HttpRequestInit): Promise<HttpResponse>;
  /** Closes idle sockets after the requests in flight finished. */
  close(): Promise<void>;
  /** Drops every socket now, requests in flight included. */
  destroy(): Promise<void>;
}

export interface HttpRequestInit {
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body?: string | Uint8Array;
  readonly signal: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  /** The body as text, read under the same signal. */
  readonly text: string;
}

function checkProxyUrl(value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw mailplugError(
      CoreErrorCode.ConfigInvalid,
      'admin',
      'The proxy setting is not a URL.',
      'Set the proxy as http://host:port (or http://user:password@host:port).',
    );
  }
  if (url.password) registerSecret(decodeURIComponent(url.password));
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw mailplugError(
      CoreErrorCode.ConfigInvalid,
      'admin',
      `The proxy URL uses ${url.protocol}, which is not an HTTP proxy.`,
      'Set the proxy as http://host:port or https://host:port.',
    );
  }
}

/**
 * `https://` for every server; `http://` only with `security: 'none'` towards a loopback host
 * (a local gateway or the emulator) — tokens never travel in clear text to anything else.
 */
export function originFor(server: ServerSettings): string {
  const host = server.host.includes(':') && !server.host.startsWith('[') ? `[${server.host}]` : server.host;
  if (server.security === 'none') {
    if (!isLoopbackHost(server.host) || !server.allowInsecureAuth) {
      throw mailplugError(
        CoreErrorCode.InsecureAuthRefused,
        'admin',
        `Refusing to send an access token to ${server.host}:${server.port} without TLS (security "none").`,
        'Set security to "tls" (port 443); plain http is only allowed towards a loopback host with allowInsecureAuth.',
        { details: { host: server.host, port: server.port } },
      );
    }
    return `http://${host}${server.port === 80 ? '' : `:${server.port}`}`;
  }
  return `https://${host}${server.port === 443 ? '' : `:${server.port}`}`;
}

/**
 * HTTP through undici — the client under Node's own `fetch` — from the `undici` package, so the
 * dispatcher (TLS trust, `EnvHttpProxyAgent`) and the client are one version. `request()` rather
 * than `fetch()`: the same connection pool, proxy and AbortSignal handling without the WHATWG
 * Request/Response and stream objects per call, which a send of one small body does not need.
 */
export function createHttpTransport(server: ServerSettings, options: HttpProxyOptions = {}): HttpTransport {
  const origin = originFor(server);
  const tls = {
    ...(server.tls?.ca !== undefined ? { ca: server.tls.ca as string | string[] } : {}),
    ...(server.tls?.servername ? { servername: server.tls.servername } : {}),
    ...(server.tls?.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    minVersion: 'TLSv1.2' as const,
  };
  let dispatcher: Dispatcher;
  if (options.proxy === false) {
    dispatcher = new Agent({ connect: tls });
  } else {
    if (typeof options.proxy === 'string') checkProxyUrl(options.proxy);
    for (const name of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) {
      const value = process.env[name];
      if (value && options.proxy === undefined) checkProxyUrl(value);
    }
    dispatcher = new EnvHttpProxyAgent({
      connect: tls,
      requestTls: tls,
      ...(typeof options.proxy === 'string' ? { httpProxy: options.proxy, httpsProxy: options.proxy } : {}),
      ...(options.noProxy !== undefined ? { noProxy: options.noProxy } : {}),
    });
  }
  return {
    origin,
    async request(url, init) {
      const response = await request(url, {
        method: init.method,
        headers: init.headers,
        ...(init.body !== undefined ? { body: init.body } : {}),
        signal: init.signal,
        dispatcher,
      });
      const text = await response.body.text();
      const headers = response.headers;
      return {
        status: response.statusCode,
        headers: {
          get(name) {
            const value = headers[name.toLowerCase()];
            return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
          },
        },
        text,
      };
    },
    async close() {
      await dispatcher.close();
    },
    async destroy() {
      await dispatcher.destroy();
    },
  };
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
