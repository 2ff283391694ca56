/**
 * Which HTTP proxy a token request goes through: the explicit option, else the environment
 * (`HTTPS_PROXY` / `HTTP_PROXY`), minus the hosts `NO_PROXY` exempts. Requests are tunnelled with
 * HTTP CONNECT, so TLS to the identity platform is end to end and still verified against the
 * configured CA.
 */
import type { ProxyOptions, TokenTransportOptions } from '@mailplug/core';
import { HttpsProxyAgent } from 'https-proxy-agent';

/** Core's rules choose the proxy (`proxyFor`); this package only builds the CONNECT agent. */
export type { ProxyOptions, TokenTransportOptions };

/**
 * A CONNECT-tunnelling agent for one proxy URL. `ca` is applied to the TLS session with the
 * identity platform inside the tunnel (the proxy never sees it).
 */
export function createProxyAgent(proxyUrl: string, ca?: readonly string[]): HttpsProxyAgent<string> {
  const agent = new HttpsProxyAgent(proxyUrl, { keepAlive: false });
  if (!ca) return agent;
  const connect = agent.connect.bind(agent);
  // The TLS session inside the tunnel is built from the request's options, which node-fetch and
  // friends do not fill with a CA; add it here so the platform's certificate is still verified.
  agent.connect = (req, opts) => connect(req, opts.secureEndpoint ? { ...opts, ca: [...ca] } : opts);
  return agent;
}

/** The msal configuration extras for a provider's transport options (unset ones omitted). */
export function msalTransportExtras(options: TokenTransportOptions): {
  timeoutMs?: number;
  proxy?: string | false;
  noProxy?: string;
} {
  return {
    ...(options.requestTimeoutMs !== undefined ? { timeoutMs: options.requestTimeoutMs } : {}),
    ...(options.proxy !== undefined ? { proxy: options.proxy } : {}),
    ...(options.noProxy !== undefined ? { noProxy: options.noProxy } : {}),
  };
}
