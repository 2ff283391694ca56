/**
 * An HTTP CONNECT tunnel as a Node agent, for the packages whose libraries take an `agent` (msal's
 * network client, gaxios): each request opens one tunnel through the proxy, and TLS to the real
 * endpoint runs inside it, end to end, verified against the configured CA (the proxy never sees
 * it). `proxyFor` decides whether a URL goes through a proxy at all.
 */
import http from 'node:http';
import https from 'node:https';
import net, { type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

type Connected = (error: Error | null, socket: Duplex) => void;

export interface TunnelAgentOptions {
  /** Extra trusted CA certificates (PEM) for the endpoint's TLS inside the tunnel. */
  readonly ca?: readonly string[] | undefined;
  /** `http`: an agent for `http:` URLs (the tunnel carries plain HTTP). Default `https`. */
  readonly endpoint?: 'https' | 'http' | undefined;
  /**
   * Deadline for the proxy to open the tunnel, in ms (default 15 000, core's token request
   * deadline); a proxy that never answers the CONNECT fails the request with `ETIMEDOUT`.
   */
  readonly timeoutMs?: number | undefined;
}

/**
 * An agent for requests to `https:` URLs (or `http:` ones, `endpoint: 'http'`) through the proxy at `proxyUrl`
 * (`http://host:port`, credentials as `http://user:pass@host:port`; an `https:` proxy is reached
 * over TLS). A proxy that refuses the tunnel fails the request with an error whose `code` is
 * `EPROXY` and whose `statusCode` is the proxy's answer (407: the proxy wants credentials).
 *
 * @example
 * const agent = createTunnelAgent(proxyFor(url, options) ?? '', { ca: [pem] });
 */
export function createTunnelAgent(proxyUrl: string, options: TunnelAgentOptions = {}): http.Agent {
  const proxy = new URL(proxyUrl);
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
    throw new TypeError(
      `Proxy URL must start with http:// or https:// (got ${proxy.protocol}); set the proxy option or HTTPS_PROXY to http://host:port.`,
    );
  }
  const credentials =
    proxy.username || proxy.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`
      : undefined;
  const secure = options.endpoint !== 'http';
  const timeoutMs = options.timeoutMs ?? 15_000;
  const agent = secure ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false });
  // Node's agents accept a connection handed over later through the callback (return undefined).
  agent.createConnection = (requested, callback) => {
    const target = requested as tls.ConnectionOptions & { host?: string };
    const done: Connected = callback ?? (() => undefined);
    const host = target.host ?? 'localhost';
    const authority = `${host.includes(':') ? `[${host}]` : host}:${target.port ?? (secure ? 443 : 80)}`;
    const connect = (proxy.protocol === 'https:' ? https : http).request({
      host: proxy.hostname.replace(/^\[|\]$/g, ''),
      port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...(credentials ? { 'proxy-authorization': credentials } : {}) },
      agent: false,
    });
    let settled = false;
    const finish = (error: Error | null, socket?: Duplex) => {
      if (settled) return;
      settled = true;
      // Node's agents ignore the socket when an error is passed.
      done(error, socket as Duplex);
    };
    const timer = setTimeout(() => {
      connect.destroy(
        Object.assign(new Error(`The proxy ${proxy.host} did not open a tunnel within ${timeoutMs} ms`), {
          code: 'ETIMEDOUT',
        }),
      );
    }, timeoutMs);
    connect.once('connect', (answer: http.IncomingMessage, socket: Socket) => {
      clearTimeout(timer);
      if (answer.statusCode !== 200) {
        socket.destroy();
        const refused = new Error(
          `The proxy ${proxy.host} refused the tunnel to ${authority} (HTTP ${answer.statusCode})`,
        );
        finish(Object.assign(refused, { code: 'EPROXY', statusCode: answer.statusCode }));
        return;
      }
      if (!secure) {
        finish(null, socket);
        return;
      }
      // A name for SNI and the certificate check; an IP address is checked against the certificate's IPs.
      const servername = target.servername ?? (net.isIP(host) ? undefined : host);
      const secured = tls.connect({
        ...target,
        socket,
        ...(servername !== undefined ? { servername } : {}),
        ...(options.ca ? { ca: [...options.ca] } : {}),
      });
      finish(null, secured);
    });
    connect.once('error', (error) => {
      clearTimeout(timer);
      finish(error);
    });
    connect.end();
    return undefined;
  };
  return agent;
}
