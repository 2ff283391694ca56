/**
 * Helpers that point the real client libraries at the emulator without touching process-wide
 * settings: msal-node gets a loopback-only `INetworkModule` that trusts the emulator's CA, and
 * google-auth-library gets an https agent plus a request interceptor (its `JWT` client ignores
 * `endpoints` and always posts to https://oauth2.googleapis.com/token).
 */
import { Agent, request } from 'node:https';
import { isLoopbackHost } from './loopback.js';

/** Structurally msal-common's `INetworkModule` (no msal import needed). */
export interface MsalNetworkModule {
  sendGetRequestAsync<T>(
    url: string,
    options?: { headers?: Record<string, string>; body?: string },
    timeout?: number,
  ): Promise<{ headers: Record<string, string>; body: T; status: number }>;
  sendPostRequestAsync<T>(
    url: string,
    options?: { headers?: Record<string, string>; body?: string },
  ): Promise<{ headers: Record<string, string>; body: T; status: number }>;
}

function send<T>(
  agent: Agent,
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: string,
) {
  const target = new URL(url);
  if (!isLoopbackHost(target.hostname)) {
    return Promise.reject(
      new Error(
        `Refusing to send ${method} to ${target.host}: the emulator network client only talks to loopback.`,
      ),
    );
  }
  return new Promise<{ headers: Record<string, string>; body: T; status: number }>((resolve, reject) => {
    const req = request(
      target,
      {
        method,
        agent,
        headers:
          body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const flat: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers))
            if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
          try {
            resolve({
              headers: flat,
              body: (text ? JSON.parse(text) : {}) as T,
              status: res.statusCode ?? 0,
            });
          } catch (cause) {
            reject(new Error(`The emulator answered ${res.statusCode} with a non-JSON body.`, { cause }));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * An msal-node `system.networkClient` that trusts the emulator's CA and refuses non-loopback hosts.
 *
 * @example
 * new ConfidentialClientApplication({ auth: {...}, system: { networkClient: createMsalNetworkClient(emulator.caCertPem) } });
 */
export function createMsalNetworkClient(caCertPem: string): MsalNetworkModule {
  const agent = new Agent({ ca: caCertPem, keepAlive: false });
  return {
    sendGetRequestAsync: (url, options) => send(agent, 'GET', url, options?.headers),
    sendPostRequestAsync: (url, options) => send(agent, 'POST', url, options?.headers, options?.body ?? ''),
  };
}

interface GaxiosLike {
  interceptors: {
    request: { add(interceptor: { resolved?: (config: { url?: string | URL }) => unknown }): unknown };
  };
}

/**
 * Rewrites requests a google-auth-library client sends to Google's real token/revoke hosts so they
 * reach the emulator (needed for the `JWT` service-account client, which ignores `endpoints`).
 *
 * @example
 * const jwt = new JWT({ email, key, scopes, subject, transporterOptions: { agent } });
 * redirectGoogleRequests(jwt, emulator.urls.googleBase);
 */
export function redirectGoogleRequests(client: { transporter: unknown }, googleBase: string): void {
  const transporter = client.transporter as GaxiosLike;
  transporter.interceptors.request.add({
    resolved: (config) => {
      const current = config.url === undefined ? undefined : new URL(String(config.url));
      if (current && /(^|\.)googleapis\.com$|^accounts\.google\.com$/.test(current.hostname)) {
        const path = current.pathname
          .replace(/^\/oauth2\/v4\/token$/, '/token')
          .replace(/^\/o\/oauth2\/token$/, '/token');
        config.url = new URL(`${googleBase}${path}${current.search}`);
      }
      return config;
    },
  });
}

/** An https agent trusting the emulator's CA, for `transporterOptions: { agent }` in google-auth-library. */
export function createEmulatorAgent(caCertPem: string): Agent {
  return new Agent({ ca: caCertPem });
}
