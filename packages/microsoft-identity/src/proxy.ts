/**
 * How msal's requests reach Entra ID: core's proxy rules (`proxyFor`) and CONNECT tunnel
 * (`createTunnelAgent`), with TLS to the identity platform end to end and verified against the
 * configured CA; this file maps a provider's transport options onto the network client.
 */
import type { ProxyOptions, TokenTransportOptions } from '@mailplug/core';

export type { ProxyOptions, TokenTransportOptions };

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
