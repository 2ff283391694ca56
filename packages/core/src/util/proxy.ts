/**
 * Which HTTP proxy a request goes through: the explicit option, else the environment
 * (`HTTPS_PROXY` / `HTTP_PROXY`), minus the hosts `NO_PROXY` exempts — one set of rules, so
 * `NO_PROXY` means the same for every provider and protocol. Agents (HTTP CONNECT) stay in the
 * packages that make the requests.
 */
import net from 'node:net';

/** How token requests reach the identity platform. */
export interface ProxyOptions {
  /**
   * HTTP CONNECT proxy for every token request (`http://proxy.example:3128`, credentials as
   * `http://user:pass@host:port`); `false` ignores the environment and connects directly.
   * Unset: `HTTPS_PROXY` (then `HTTP_PROXY`) for https endpoints, `HTTP_PROXY` for http ones.
   */
  readonly proxy?: string | false;
  /**
   * Hosts reached directly, in `NO_PROXY` syntax: comma-separated names (a name also matches its
   * subdomains; `.example.com` and `*.example.com` too), IP addresses, CIDR ranges, optional
   * `:port`, or `*`. Unset: the `NO_PROXY` environment variable.
   */
  readonly noProxy?: string;
}

/**
 * How a provider's token requests travel — the same options, with the same meaning, in
 * every Mailplug provider: `requestTimeoutMs` (deadline of one request; default core's 15 000),
 * `proxy` and `noProxy`.
 */
export interface TokenTransportOptions extends ProxyOptions {
  /**
   * Deadline of one request to the identity platform in ms (default 15 000, core's token request
   * deadline). A hung endpoint becomes a classified `retry` error after this long; `retry.maxTotalMs`
   * bounds a refresh with its retries.
   */
  readonly requestTimeoutMs?: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function fromEnv(env: Env, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = env[name.toLowerCase()]?.trim() || env[name.toUpperCase()]?.trim();
    if (value) return value;
  }
  return undefined;
}

/**
 * The proxy URL for `url`, or `undefined` for a direct connection.
 *
 * @example
 * proxyFor('https://login.microsoftonline.com/t/oauth2/v2.0/token', { noProxy: '.corp.example' });
 */
export function proxyFor(url: string | URL, options: ProxyOptions = {}, env: Env = process.env) {
  if (options.proxy === false) return undefined;
  const target = typeof url === 'string' ? new URL(url) : url;
  const secure = target.protocol === 'https:';
  const chosen =
    typeof options.proxy === 'string' && options.proxy.trim()
      ? options.proxy.trim()
      : secure
        ? fromEnv(env, 'https_proxy', 'http_proxy')
        : fromEnv(env, 'http_proxy');
  if (!chosen) return undefined;
  const port = Number(target.port || (secure ? 443 : 80));
  const noProxy = options.noProxy ?? fromEnv(env, 'no_proxy') ?? '';
  if (bypassesProxy(target.hostname, port, noProxy)) return undefined;
  return chosen.includes('://') ? chosen : `http://${chosen}`;
}

/** `NO_PROXY` matching: exact host, domain suffix, IP, CIDR, optional port, `*`. */
export function bypassesProxy(host: string, port: number, noProxy: string): boolean {
  const target = host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    const withPort = bracketed ? undefined : /^([^:]+):(\d+)$/.exec(entry);
    const pattern = bracketed?.[1] ?? withPort?.[1] ?? entry;
    const entryPort = bracketed?.[2] ?? withPort?.[2];
    if (entryPort !== undefined && Number(entryPort) !== port) continue;
    if (pattern.includes('/')) {
      if (inCidr(target, pattern)) return true;
      continue;
    }
    const name = pattern.replace(/^\*?\./, '');
    if (name && (target === name || (!net.isIP(target) && target.endsWith(`.${name}`)))) return true;
  }
  return false;
}

function inCidr(address: string, cidr: string): boolean {
  const [base = '', bits = ''] = cidr.split('/');
  const family = net.isIP(base);
  const prefix = Number(bits);
  if (!family || net.isIP(address) !== family || !Number.isInteger(prefix)) return false;
  const list = new net.BlockList();
  try {
    list.addSubnet(base, prefix, family === 6 ? 'ipv6' : 'ipv4');
  } catch {
    return false;
  }
  return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}
