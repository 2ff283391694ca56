import { Agent } from 'node:https';
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

/**
 * Transporter options that trust an extra CA (PEM) for https identity endpoints — a private
 * deployment's own PKI, or the emulator's local CA — without touching process-wide settings
 * such as NODE_EXTRA_CA_CERTS. Plain http (loopback) requests keep the default agent.
 */
export function transporterOptionsFor(ca: string | undefined): OAuth2ClientOptions['transporterOptions'] {
  if (!ca) return undefined;
  const https = new Agent({ ca, keepAlive: false });
  return { agent: ((url: URL) => (url.protocol === 'https:' ? https : undefined)) as unknown as Agent };
}
