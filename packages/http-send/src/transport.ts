import {
  CoreErrorCode,
  isLoopbackHost,
  mailplugError,
  proxyFor,
  registerSecret,
  type ServerSettings,
} from '@mailplug/core';
import { Agent, type Dispatcher, ProxyAgent, request } from 'undici';
import type { HttpSendApi } from './http-send-api.js';
import { classifyRequestFailure } from './request-failure.js';

/** Deadline of one request when the server settings carry no timeout. */
export const DEFAULT_HTTP_TIMEOUT_MS = 60_000;

/** Where HTTP requests go through a proxy; the same option names as the SMTP protocol's. */
export interface HttpProxyOptions {
  /**
   * HTTP(S) proxy URL for every request (`http://host:port`, credentials as `http://user:pass@host:port`).
   * Unset: the `HTTPS_PROXY` / `https_proxy` (and for plain http `HTTP_PROXY`) environment variables.
   * `false`: never a proxy, the environment ignored.
   */
  readonly proxy?: string | false;
  /**
   * Hosts reached directly, in `NO_PROXY` syntax (core's rules, as for every provider and protocol:
   * names with their subdomains, IP addresses, CIDR ranges, optional `:port`, `*`). Unset: the
   * `NO_PROXY` / `no_proxy` environment variable.
   */
  readonly noProxy?: string;
}

/** The origin requests go to, and the client that carries them (TLS trust, proxy, keep-alive). */
export interface HttpTransport {
  /** `https://host[:port]` (or `http://` for a loopback host with `security: 'none'`). */
  readonly origin: string;
  /** The deadline of every request: the server's `timeoutMs`, else {@link DEFAULT_HTTP_TIMEOUT_MS}. */
  readonly timeoutMs: number;
  /**
   * Sends one request under the deadline and the caller's signal. Any HTTP answer resolves (the
   * caller classifies statuses); no answer rejects with a classified `MailplugError`.
   */
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
  /** The caller's cancellation; the deadline is added to it. */
  readonly signal?: AbortSignal | undefined;
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
 * The client for one origin: direct, or through the proxy core's `proxyFor` picks for it (the
 * option, else the environment, minus what `NO_PROXY` exempts), tunnelled with HTTP CONNECT.
 */
function dispatcherFor(server: ServerSettings, origin: string, options: HttpProxyOptions): Dispatcher {
  const tls = {
    ...(server.tls?.ca !== undefined ? { ca: server.tls.ca as string | string[] } : {}),
    ...(server.tls?.servername ? { servername: server.tls.servername } : {}),
    ...(server.tls?.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    minVersion: 'TLSv1.2' as const,
  };
  if (typeof options.proxy === 'string') checkProxyUrl(options.proxy);
  const proxy = proxyFor(origin, options);
  if (proxy === undefined) return new Agent({ connect: tls });
  checkProxyUrl(proxy);
  return new ProxyAgent({ uri: proxy, requestTls: tls });
}

/**
 * HTTP through undici — the client under Node's own `fetch` — from the `undici` package, so the
 * dispatcher (TLS trust, `ProxyAgent`) and the client are one version. `request()` rather
 * than `fetch()`: the same connection pool, proxy and AbortSignal handling without the WHATWG
 * Request/Response and stream objects per call, which a send of one small body does not need.
 *
 * @example
 * const transport = createHttpTransport(server, GMAIL_API, { proxy: 'http://proxy.corp.example:3128' });
 * const response = await transport.request(`${transport.origin}/gmail/v1/users/me/messages/send`, {
 *   method: 'POST',
 *   headers: { authorization: `Bearer ${credential.accessToken}`, 'content-type': 'application/json' },
 *   body,
 *   signal,
 * });
 * await transport.close();
 */
export function createHttpTransport(
  server: ServerSettings,
  api: HttpSendApi,
  options: HttpProxyOptions = {},
): HttpTransport {
  const origin = originFor(server);
  const dispatcher = dispatcherFor(server, origin, options);
  const timeoutMs =
    typeof server.timeoutMs === 'number' && Number.isFinite(server.timeoutMs) && server.timeoutMs > 0
      ? server.timeoutMs
      : DEFAULT_HTTP_TIMEOUT_MS;
  return {
    origin,
    timeoutMs,
    async request(url, init) {
      const deadline = AbortSignal.timeout(timeoutMs);
      const cancelled = init.signal;
      try {
        const response = await request(url, {
          method: init.method,
          headers: init.headers,
          ...(init.body !== undefined ? { body: init.body } : {}),
          signal: cancelled ? AbortSignal.any([cancelled, deadline]) : deadline,
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
      } catch (error) {
        throw classifyRequestFailure(error, { url, deadlineMs: timeoutMs, cancelled, deadline }, api);
      }
    },
    async close() {
      await dispatcher.close();
    },
    async destroy() {
      await dispatcher.destroy();
    },
  };
}
