import { bypassesProxy, MailplugError, registerSecret, type ServerSettings } from '@mailplug/core';
import { SmtpErrorCode } from './classify.js';

/**
 * Where SMTP connections go through an HTTP CONNECT proxy: a URL for every server, `false` for
 * none (environment ignored), or a function that decides per server (per account).
 */
export type SmtpProxySetting = string | false | ((server: ServerSettings) => string | false | undefined);

export interface SmtpProxyOptions {
  /**
   * HTTP CONNECT proxy (`http://host:port`, `https://host:port`, credentials as `http://user:pass@host:port`).
   * Unset: the `SMTP_PROXY` / `smtp_proxy` environment variable. `false`: never a proxy.
   */
  readonly proxy?: SmtpProxySetting;
  /**
   * Hosts reached directly, in `NO_PROXY` syntax (core's `bypassesProxy`, the same rules as every
   * provider's): comma-separated host names (a name also matches its subdomains; `.example.com` and
   * `*.example.com` work too), IP addresses, CIDR ranges, optional `:port`, or `*`. Unset: the
   * `NO_PROXY` / `no_proxy` environment variable.
   */
  readonly noProxy?: string;
}

/** A proxy chosen for one server. */
export interface SmtpProxy {
  /** The URL handed to nodemailer (may carry credentials; never logged). */
  readonly url: string;
  /** `host:port` of the proxy, safe to show and log. */
  readonly endpoint: string;
  /** Where the setting came from: `option` or the environment variable's name. */
  readonly source: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const PROXY_ENV = ['SMTP_PROXY', 'smtp_proxy'] as const;
const NO_PROXY_ENV = ['NO_PROXY', 'no_proxy'] as const;

function fromEnv(env: Env, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/**
 * The proxy SMTP uses for `server`, or `undefined` for a direct connection. The explicit option
 * wins over `SMTP_PROXY`; `noProxy` (or `NO_PROXY`) exempts matching hosts either way.
 * `HTTPS_PROXY` is deliberately not read: most HTTP proxies refuse CONNECT to SMTP ports, and a
 * host that set it for its web traffic must not lose its mail path.
 *
 * @example
 * resolveSmtpProxy(server, { proxy: 'http://proxy.corp.example:3128', noProxy: 'relay.corp.example' });
 */
export function resolveSmtpProxy(
  server: ServerSettings,
  options: SmtpProxyOptions = {},
  env: Env = process.env,
): SmtpProxy | undefined {
  const setting = typeof options.proxy === 'function' ? options.proxy(server) : options.proxy;
  if (setting === false) return undefined;
  const chosen =
    typeof setting === 'string' && setting.trim()
      ? { name: 'option', value: setting.trim() }
      : fromEnv(env, PROXY_ENV);
  if (!chosen) return undefined;
  const noProxy = options.noProxy ?? fromEnv(env, NO_PROXY_ENV)?.value ?? '';
  if (bypassesProxy(server.host, server.port, noProxy)) return undefined;
  return parseProxyUrl(chosen.value, chosen.name);
}

function parseProxyUrl(value: string, source: string): SmtpProxy {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.password) registerSecret(decodeURIComponent(url.password));
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    const scheme = url?.protocol.replace(/:$/, '') ?? 'unparseable';
    throw new MailplugError({
      code: SmtpErrorCode.ProxyInvalid,
      action: 'admin',
      message: `The SMTP proxy setting (${source === 'option' ? 'the proxy option' : source}) is not an HTTP CONNECT proxy URL (scheme: ${scheme}).`,
      hint: 'Set the SMTP proxy to an HTTP CONNECT proxy URL such as http://proxy.example.com:3128 (SOCKS proxies are not supported for SMTP), or remove the setting to connect directly.',
      details: { source, scheme },
    });
  }
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return { url: url.href, endpoint: `${url.hostname}:${port}`, source };
}
