/**
 * An msal `INetworkModule` on `node:https`, used for every msal application Mailplug builds:
 * - a CA certificate per application (msal's default client uses the global `fetch`, which only
 *   knows the process-wide trust store) for private deployments and the emulator;
 * - a deadline on every request (msal's default client has none for token POSTs);
 * - an HTTP CONNECT proxy from the options or `HTTPS_PROXY` / `NO_PROXY` (msal-node 7 has no
 *   proxy setting of its own);
 * - normalised failures: a 429 or 5xx with an HTML, text or empty body becomes an OAuth error body,
 *   and every error description ends in `(HTTP <status>[, Retry-After: <s>])` — msal's throttling
 *   cache replays only the description (no status), so the classifier still sees an outage there.
 */
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { createTunnelAgent, type ProxyOptions, proxyFor } from '@mailplug/core';

/** Default deadline of one request to Microsoft Entra ID. */
export const DEFAULT_MSAL_REQUEST_TIMEOUT_MS = 15_000;

export interface MsalNetworkClientOptions extends ProxyOptions {
  /** Extra trusted CA certificate(s): PEM text or a path to a PEM file. */
  readonly ca?: string | readonly string[];
  /**
   * Called before every request; never gets bodies. Throwing refuses the request (the error is
   * what msal sees) — e.g. a guard that allows only loopback hosts in tests and emulators.
   */
  readonly onRequest?: (info: { readonly method: 'GET' | 'POST'; readonly url: string }) => void;
  /** Per-request deadline in milliseconds (default 15 000, core's token request deadline). */
  readonly timeoutMs?: number;
}

/** Resolves a `ca` setting: PEM text stays as is, anything else is read as a file path. */
function loadCaCertificates(ca: string | readonly string[] | undefined): string[] | undefined {
  if (ca === undefined) return undefined;
  const list = typeof ca === 'string' ? [ca] : [...ca];
  return list.map((entry) => (entry.includes('-----BEGIN') ? entry : readFileSync(entry, 'utf8')));
}

/**
 * Creates the network client msal uses for discovery and token requests.
 *
 * @example
 * const networkClient = createMsalNetworkClient({ ca: '/etc/ssl/private-ca.pem' });
 * new ConfidentialClientApplication({ auth, system: { networkClient } });
 */
export function createMsalNetworkClient(options: MsalNetworkClientOptions = {}): INetworkModule {
  const ca = loadCaCertificates(options.ca);
  const timeoutMs = options.timeoutMs ?? DEFAULT_MSAL_REQUEST_TIMEOUT_MS;
  const proxyAgents = new Map<string, Agent>();
  const agentFor = (url: string): Agent | undefined => {
    const proxy = proxyFor(url, options);
    if (!proxy) return undefined;
    let agent = proxyAgents.get(proxy);
    if (!agent) {
      agent = createTunnelAgent(proxy, { ca, timeoutMs });
      proxyAgents.set(proxy, agent);
    }
    return agent;
  };

  function send<T>(method: 'GET' | 'POST', url: string, init?: NetworkRequestOptions, timeout?: number) {
    return new Promise<NetworkResponse<T>>((resolve, reject) => {
      // Inside the executor, so an observer that throws (a loopback-only guard) refuses the request.
      options.onRequest?.({ method, url });
      const body = method === 'POST' ? (init?.body ?? '') : undefined;
      const headers: Record<string, string> = { ...(init?.headers ?? {}) };
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const agent = agentFor(url);
      // One deadline for the whole exchange (connect, proxy tunnel, TLS, answer), not an idle timer:
      // a peer that drips bytes must not hold a send either.
      const deadlineMs = Math.min(timeout ?? timeoutMs, timeoutMs);
      const timer = setTimeout(() => {
        req.destroy(
          Object.assign(
            new Error(`Request to ${new URL(url).origin} got no answer within ${deadlineMs} ms`),
            {
              code: 'ETIMEDOUT',
            },
          ),
        );
      }, deadlineMs);
      timer.unref?.();
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(toNetworkError(err));
      };
      const req = httpsRequest(
        url,
        { method, headers, ...(ca ? { ca } : {}), ...(agent ? { agent } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', fail);
          res.on('end', () => {
            clearTimeout(timer);
            const status = res.statusCode ?? 0;
            const responseHeaders: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) {
              if (v !== undefined) responseHeaders[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
            }
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status,
              headers: responseHeaders,
              body: normaliseBody(text, status, responseHeaders) as T,
            });
          });
        },
      );
      req.on('error', fail);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  return {
    sendGetRequestAsync: (url, init, timeout) => send('GET', url, init, timeout),
    sendPostRequestAsync: (url, init) => send('POST', url, init),
  };
}

function normaliseBody(text: string, status: number, headers: Record<string, string>): unknown {
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = undefined;
  }
  const ok = status >= 200 && status < 300;
  if (ok) return parsed ?? {};
  const body: Record<string, unknown> =
    parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? { ...(parsed as Record<string, unknown>) }
      : {};
  const transient = status === 429 || status >= 500;
  if (!body.error) body.error = transient ? 'temporarily_unavailable' : 'server_error';
  if (body.status === undefined) body.status = status;
  const retryAfter = headers['retry-after'];
  const seconds = retryAfter !== undefined ? retryAfterSeconds(retryAfter) : undefined;
  const described =
    typeof body.error_description === 'string'
      ? body.error_description
      : `The token endpoint answered without an OAuth error (${headers['content-type']?.split(';')[0] ?? 'no body'}).`;
  // The classifier reads status and Retry-After back from the description: msal's throttling
  // cache replays a 429/5xx for its Retry-After (or 60 s) with only this text, no HTTP status.
  body.error_description = `${described} (HTTP ${status}${seconds !== undefined ? `, Retry-After: ${seconds}` : ''})`;
  return body;
}

function retryAfterSeconds(value: string): number | undefined {
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function toNetworkError(err: Error): Error {
  const code = (err as { code?: string }).code ?? 'network_error';
  // msal passes non-AuthErrors through as "network_error"; keep the Node code for the classifier.
  return Object.assign(new Error(`Network request to Microsoft Entra ID failed: ${err.message}`), {
    code,
    errorCode: 'network_error',
  });
}
