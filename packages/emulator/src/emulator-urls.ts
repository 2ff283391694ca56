/** Where each part of a running emulator is reached, and the summary the web page shows. */
import { GMAIL_PREFIX, GRAPH_PREFIX } from './api/index.js';
import { DEFAULT_TENANT_ID } from './identity/config.js';
import { GOOGLE_PREFIX } from './identity/google.js';
import { microsoftDiscovery } from './identity/microsoft.js';
import type { MailServers } from './mail/index.js';
import { OAUTH_PREFIX } from './oauth/config.js';

/** URLs of the generic OAuth server. */
export interface GenericOAuthUrls {
  /** `https://127.0.0.1:<port>/oauth` — also the `iss` of its ID tokens. */
  readonly issuer: string;
  /** OpenID discovery document (RFC 8414 metadata is also at `/.well-known/oauth-authorization-server/oauth`). */
  readonly discovery: string;
  readonly authorization: string;
  readonly token: string;
  readonly revocation: string;
  readonly introspection: string;
  readonly userinfo: string;
  readonly jwks: string;
}

export interface EmulatorUrls {
  readonly https: string;
  readonly http: string;
  /** `https://127.0.0.1:<port>/<tenant>` — msal's `authority`. */
  microsoftAuthority(tenant?: string): string;
  /** msal `knownAuthorities` entry for the emulator host. */
  readonly microsoftKnownAuthority: string;
  /** msal `authorityMetadata` (JSON string) so msal skips discovery requests. */
  microsoftAuthorityMetadata(tenant?: string): string;
  readonly googleBase: string;
  /** google-auth-library `OAuth2Client` `endpoints` option. */
  readonly googleEndpoints: {
    oauth2AuthBaseUrl: string;
    oauth2TokenUrl: string;
    oauth2RevokeUrl: string;
    tokenInfoUrl: string;
  };
  /** RFC 7662 endpoint on loopback HTTP (Dovecot `introspection_url`). */
  readonly introspection: string;
  /** Stands for `https://graph.microsoft.com`: sendMail is at `<graphBase>/v1.0/users/{id}/sendMail`. */
  readonly graphBase: string;
  /** Stands for `https://gmail.googleapis.com`: `<gmailBase>/gmail/v1/users/me/messages/send` and `<gmailBase>/upload/...`. */
  readonly gmailBase: string;
  readonly oauth: GenericOAuthUrls;
  readonly deviceLogin: string;
  readonly web: string;
}

export function buildEmulatorUrls(host: string, httpsPort: number, httpPort: number): EmulatorUrls {
  const httpsOrigin = `https://${host}:${httpsPort}`;
  const httpOrigin = `http://${host}:${httpPort}`;
  const googleBase = `${httpsOrigin}${GOOGLE_PREFIX}`;
  return {
    https: httpsOrigin,
    http: httpOrigin,
    microsoftAuthority: (tenant = DEFAULT_TENANT_ID) => `${httpsOrigin}/${tenant}`,
    microsoftKnownAuthority: `${host}:${httpsPort}`,
    microsoftAuthorityMetadata: (tenant = DEFAULT_TENANT_ID) =>
      JSON.stringify(microsoftDiscovery(httpsOrigin, tenant)),
    googleBase,
    googleEndpoints: {
      oauth2AuthBaseUrl: `${googleBase}/o/oauth2/v2/auth`,
      oauth2TokenUrl: `${googleBase}/token`,
      oauth2RevokeUrl: `${googleBase}/revoke`,
      tokenInfoUrl: `${googleBase}/tokeninfo`,
    },
    introspection: `${httpOrigin}/introspect`,
    graphBase: `${httpsOrigin}${GRAPH_PREFIX}`,
    gmailBase: `${httpsOrigin}${GMAIL_PREFIX}`,
    oauth: oauthUrls(`${httpsOrigin}${OAUTH_PREFIX}`),
    deviceLogin: `${httpsOrigin}/devicelogin`,
    web: `${httpOrigin}/`,
  };
}

function oauthUrls(issuer: string): GenericOAuthUrls {
  return {
    issuer,
    discovery: `${issuer}/.well-known/openid-configuration`,
    authorization: `${issuer}/authorize`,
    token: `${issuer}/token`,
    revocation: `${issuer}/revoke`,
    introspection: `${issuer}/introspect`,
    userinfo: `${issuer}/userinfo`,
    jwks: `${issuer}/jwks`,
  };
}

export function endpointSummary(
  urls: EmulatorUrls | undefined,
  mail: MailServers | undefined,
): Record<string, string> {
  if (!urls) return {};
  const out: Record<string, string> = {
    'Microsoft authority': urls.microsoftAuthority(),
    'Google base': urls.googleBase,
    Introspection: urls.introspection,
    'Device login': urls.deviceLogin,
    'Graph base': urls.graphBase,
    'Gmail API base': urls.gmailBase,
    'OAuth issuer': urls.oauth.issuer,
  };
  if (mail) {
    out.SMTP = `127.0.0.1:${mail.ports.smtp} (STARTTLS), ${mail.ports.smtps} (TLS)`;
    out.IMAP = `127.0.0.1:${mail.ports.imap} (STARTTLS), ${mail.ports.imaps} (TLS)`;
    out.POP3 = `127.0.0.1:${mail.ports.pop3} (STLS), ${mail.ports.pop3s} (TLS)`;
  }
  return out;
}

/**
 * Provider settings with every Google endpoint moved to the emulator's plain loopback http
 * listener (`<http>/google/...`), so a client needs no CA for them; the `ca` setting is dropped.
 *
 * @example
 * const settings = googleSettingsOverHttp(emulator.urls, emulator.settings['gmail-oauth'].settings);
 */
export function googleSettingsOverHttp(
  urls: Pick<EmulatorUrls, 'http' | 'googleBase'>,
  settings: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const httpBase = `${urls.http}${GOOGLE_PREFIX}`;
  return Object.fromEntries(
    Object.entries(settings)
      .filter(([key]) => key !== 'ca')
      .map(([key, value]) => [
        key,
        typeof value === 'string' && value.startsWith(urls.googleBase)
          ? `${httpBase}${value.slice(urls.googleBase.length)}`
          : value,
      ]),
  );
}
