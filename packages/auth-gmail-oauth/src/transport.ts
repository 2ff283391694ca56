import type { Agent as HttpAgent } from 'node:http';
import { Agent } from 'node:https';
import { createTunnelAgent, proxyFor, type TokenTransportOptions } from '@mailplug/core';
import type { AuthClient, OAuth2ClientOptions } from 'google-auth-library';

type RequestInterceptor = Parameters<AuthClient['transporter']['interceptors']['request']['add']>[0];
type PreparedRequest = Parameters<NonNullable<NonNullable<RequestInterceptor>['resolved']>>[0];

/**
 * Adjusts the gaxios transporter of a google-auth-library client:
 * - gaxios' own retries are switched off, because core's TokenManager owns retry, backoff and its
 *   ceiling (two retry loops stacked would multiply waits and hide classification);
 * - `rewrite` maps fixed Google URLs to overridden ones — the `JWT` client ignores `endpoints`
 *   and always posts to https://oauth2.googleapis.com/token.
 */
export function tuneTransporter(client: AuthClient, rewrite?: ReadonlyMap<string, string>): void {
  client.transporter.interceptors.request.add({
    resolved: async (config: PreparedRequest) => {
      config.retry = false;
      config.retryConfig = { ...config.retryConfig, retry: 0, noResponseRetries: 0 };
      if (rewrite && rewrite.size > 0) {
        const target = rewrite.get(stripQuery(config.url.toString()));
        if (target) {
          const url = new URL(target);
          for (const [k, v] of config.url.searchParams) url.searchParams.append(k, v);
          config.url = url;
        }
      }
      return config;
    },
  });
}

function stripQuery(url: string): string {
  const i = url.indexOf('?');
  return i === -1 ? url : url.slice(0, i);
}

/** Default deadline of one request to Google (core's token request deadline). */
export const DEFAULT_GOOGLE_REQUEST_TIMEOUT_MS = 15_000;

/**
 * gaxios transporter options for every request a client makes (token, revocation, tokeninfo,
 * userinfo, signing keys): a deadline (`timeout`), an HTTP CONNECT proxy from the options or
 * `HTTPS_PROXY` / `NO_PROXY`, and an extra CA (PEM) for https endpoints — a private deployment's PKI
 * or the emulator's — without touching process-wide settings such as NODE_EXTRA_CA_CERTS.
 */
export function transporterOptionsFor(
  ca: string | undefined,
  transport: TokenTransportOptions = {},
): NonNullable<OAuth2ClientOptions['transporterOptions']> {
  const https = ca ? new Agent({ ca, keepAlive: false }) : undefined;
  const tunnels = new Map<string, HttpAgent>();
  const agentFor = (url: URL): HttpAgent | undefined => {
    const proxy = proxyFor(url, transport);
    if (!proxy) return url.protocol === 'https:' ? https : undefined;
    const key = `${url.protocol}${proxy}`;
    let tunnel = tunnels.get(key);
    if (!tunnel) {
      tunnel = createTunnelAgent(proxy, {
        ca: ca ? [ca] : undefined,
        endpoint: url.protocol === 'http:' ? 'http' : 'https',
        timeoutMs: transport.requestTimeoutMs,
      });
      tunnels.set(key, tunnel);
    }
    return tunnel;
  };
  return {
    timeout: transport.requestTimeoutMs ?? DEFAULT_GOOGLE_REQUEST_TIMEOUT_MS,
    // node-fetch (gaxios' fetch on Node) accepts a function choosing the agent per URL.
    agent: agentFor as unknown as Agent,
  };
}
