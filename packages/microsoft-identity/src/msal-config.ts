/**
 * Builds msal-node configurations from Mailplug settings. With an `authorityHost` override (a
 * private deployment or the emulator) the configuration is fully offline: the host is a known
 * authority (no instance discovery against login.microsoftonline.com) and the endpoint metadata is
 * supplied inline (no OpenID discovery request).
 */
import type { Configuration, ICachePlugin, INetworkModule } from '@azure/msal-node';
import { LogLevel } from '@azure/msal-node';
import { createRedactingLogger, type Logger } from '@mailplug/core';
import { getMicrosoftCloud, type MicrosoftCloudId } from './clouds.js';
import { createMsalNetworkClient } from './network-client.js';
import type { ProxyOptions } from './proxy.js';

export interface MsalConfigurationOptions extends ProxyOptions {
  readonly clientId: string;
  /** Tenant GUID, verified domain, or `organizations` / `common` (delegated only). */
  readonly tenant: string;
  readonly cloud?: MicrosoftCloudId;
  /** `https://host[:port]` replacing the cloud's sign-in host (private deployments, the emulator). */
  readonly authorityHost?: string;
  /** Extra trusted CA: PEM text or a file path. */
  readonly ca?: string | readonly string[];
  readonly clientSecret?: string;
  readonly clientCertificate?: {
    readonly thumbprintSha256?: string;
    readonly thumbprint?: string;
    readonly privateKey: string;
    readonly x5c?: string;
  };
  readonly cachePlugin?: ICachePlugin;
  /**
   * A ready network client; otherwise Mailplug's own (`createMsalNetworkClient`) is built from
   * `ca`, `timeoutMs`, `proxy` / `noProxy` and `onRequest` — always, so every request has a
   * deadline, honours `HTTPS_PROXY` / `NO_PROXY` and has its failures normalised.
   */
  readonly networkClient?: INetworkModule;
  /** Deadline of one request to Entra ID in ms (default 15 000). */
  readonly timeoutMs?: number;
  /** Observes every request URL (tests assert loopback only). */
  readonly onRequest?: (info: { readonly method: 'GET' | 'POST'; readonly url: string }) => void;
  readonly logger?: Logger;
}

/** `https://host[:port]` without trailing slash; msal only accepts https authorities. */
export function normaliseAuthorityHost(host: string): string {
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new RangeError(`Authority host "${host}" is not a URL; use https://host[:port].`);
  }
  if (url.protocol !== 'https:')
    throw new RangeError(`Authority host "${host}" must use https (msal refuses http authorities).`);
  return url.origin;
}

/** The authority URL msal is given: `<host>/<tenant>`. */
export function authorityUrl(
  options: Pick<MsalConfigurationOptions, 'tenant' | 'cloud' | 'authorityHost'>,
): string {
  const host = options.authorityHost
    ? normaliseAuthorityHost(options.authorityHost)
    : getMicrosoftCloud(options.cloud).authorityHost;
  return `${host}/${encodeURIComponent(options.tenant)}`;
}

/** OpenID endpoint metadata for an authority, as msal's `authorityMetadata` expects it. */
export function authorityMetadataFor(authority: string): string {
  const base = authority.replace(/\/+$/, '');
  return JSON.stringify({
    token_endpoint: `${base}/oauth2/v2.0/token`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    jwks_uri: `${base}/discovery/v2.0/keys`,
    issuer: `${base}/v2.0`,
  });
}

/**
 * An msal `Configuration` for Mailplug settings.
 *
 * @example
 * const app = new ConfidentialClientApplication(
 *   buildMsalConfiguration({ clientId, tenant, clientSecret, authorityHost: 'https://127.0.0.1:8443', ca: caPath }),
 * );
 */
export function buildMsalConfiguration(options: MsalConfigurationOptions): Configuration {
  const authority = authorityUrl(options);
  const override = options.authorityHost !== undefined;
  const networkClient =
    options.networkClient ??
    createMsalNetworkClient({
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.proxy !== undefined ? { proxy: options.proxy } : {}),
      ...(options.noProxy !== undefined ? { noProxy: options.noProxy } : {}),
    });
  const hostAndPort = new URL(authority).host;
  const logger = options.logger ? createRedactingLogger(options.logger) : undefined;
  return {
    auth: {
      clientId: options.clientId,
      authority,
      ...(options.clientSecret !== undefined ? { clientSecret: options.clientSecret } : {}),
      ...(options.clientCertificate ? { clientCertificate: { ...options.clientCertificate } } : {}),
      ...(override
        ? {
            knownAuthorities: [hostAndPort],
            authorityMetadata: authorityMetadataFor(authority),
            cloudDiscoveryMetadata: JSON.stringify({
              tenant_discovery_endpoint: `${authority}/v2.0/.well-known/openid-configuration`,
              'api-version': '1.1',
              metadata: [
                { preferred_network: hostAndPort, preferred_cache: hostAndPort, aliases: [hostAndPort] },
              ],
            }),
          }
        : {}),
    },
    ...(options.cachePlugin ? { cache: { cachePlugin: options.cachePlugin } } : {}),
    system: {
      networkClient,
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: LogLevel.Warning,
        loggerCallback: (level, message) => {
          if (!logger) return;
          if (level === LogLevel.Error) logger.error(message);
          else logger.warn(message);
        },
      },
    },
  };
}
