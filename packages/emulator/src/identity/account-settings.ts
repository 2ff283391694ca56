/**
 * Ready-made Mailplug account settings pointing at a running emulator, one per provider. Secrets
 * are given as `{ secretRef }` in `settings` (as hosts store them) and their values in `secrets`,
 * to load into the host's SecretStore.
 */
import { DEFAULT_IDS, DEFAULT_TENANT_ID, type IdentityConfig } from './config.js';

export interface EmulatorServerSettings {
  readonly host: string;
  readonly port: number;
  readonly security: 'starttls' | 'tls' | 'none';
  readonly tls: { readonly ca: string };
}

export interface EmulatorAccountSettings {
  /** Auth provider id (`gmail-oauth`, `m365-delegated`, `m365-app-only`, `basic`). */
  readonly provider: string;
  readonly settings: Record<string, unknown>;
  /** secretRef name -> value, for a memory SecretStore in tests. */
  readonly secrets: Record<string, string>;
  /** Mail servers of the emulator (absent when started with `mail: false`). */
  readonly servers?: {
    readonly smtp: EmulatorServerSettings;
    readonly imap: EmulatorServerSettings;
    readonly pop3: EmulatorServerSettings;
  };
}

export interface SettingsInputs {
  readonly config: IdentityConfig;
  readonly httpsOrigin: string;
  readonly googleBase: string;
  readonly caCertPem: string;
  readonly mailPorts?: { smtp: number; imaps: number; pop3s: number } | undefined;
}

export function buildAccountSettings(
  i: SettingsInputs,
): Record<'gmail-oauth' | 'm365-delegated' | 'm365-app-only' | 'basic', EmulatorAccountSettings> {
  const user = i.config.users[0];
  const mailbox = user?.email ?? 'alice@contoso.test';
  const web =
    i.config.microsoftApps.find((a) => !a.public && a.redirectUris.length > 0) ?? i.config.microsoftApps[0];
  const daemon = i.config.microsoftApps.find((a) => a.applicationPermissions.length > 0);
  const google = i.config.googleClients[0];
  const servers = i.mailPorts
    ? {
        smtp: {
          host: '127.0.0.1',
          port: i.mailPorts.smtp,
          security: 'starttls' as const,
          tls: { ca: i.caCertPem },
        },
        imap: {
          host: '127.0.0.1',
          port: i.mailPorts.imaps,
          security: 'tls' as const,
          tls: { ca: i.caCertPem },
        },
        pop3: {
          host: '127.0.0.1',
          port: i.mailPorts.pop3s,
          security: 'tls' as const,
          tls: { ca: i.caCertPem },
        },
      }
    : undefined;
  // Absent (not `undefined`) without mail servers.
  const withServers = servers ? { servers } : {};
  // Settings schemas refuse text with surrounding whitespace (a copy-paste slip), so the PEM's final
  // newline is dropped here; TLS parses the certificate the same either way.
  const caSetting = i.caCertPem.trimEnd();
  const secret = (name: string, value: string | undefined): Record<string, string> =>
    value ? { [name]: value } : {};
  return {
    'gmail-oauth': {
      provider: 'gmail-oauth',
      settings: {
        clientId: google?.clientId ?? DEFAULT_IDS.googleClientId,
        clientSecret: { secretRef: 'emulator-google-client-secret' },
        redirectUri: google?.redirectUris[0],
        mailbox,
        // Key names follow the gmail-oauth settings schema (auth-gmail-oauth's package.json manifest);
        // an emulator test validates every ready-made settings object against its provider's schema.
        authUrl: `${i.googleBase}/o/oauth2/v2/auth`,
        tokenUrl: `${i.googleBase}/token`,
        revokeUrl: `${i.googleBase}/revoke`,
        tokenInfoUrl: `${i.googleBase}/tokeninfo`,
        userInfoUrl: `${i.googleBase}/v1/userinfo`,
        certsUrl: `${i.googleBase}/oauth2/v3/certs`,
        ca: caSetting,
      },
      secrets: secret('emulator-google-client-secret', google?.clientSecret),
      ...withServers,
    },
    'm365-delegated': {
      provider: 'm365-delegated',
      settings: {
        tenant: web?.tenantId ?? DEFAULT_TENANT_ID,
        clientId: web?.clientId,
        clientSecret: { secretRef: 'emulator-m365-web-secret' },
        redirectUri: web?.redirectUris[0],
        protocols: ['smtp', 'imap', 'pop3'],
        mailbox,
        authorityHost: i.httpsOrigin,
        ca: caSetting,
      },
      secrets: secret('emulator-m365-web-secret', web?.secrets[0]?.value),
      ...withServers,
    },
    'm365-app-only': {
      provider: 'm365-app-only',
      settings: {
        tenant: daemon?.tenantId ?? DEFAULT_TENANT_ID,
        clientId: daemon?.clientId,
        clientSecret: { secretRef: 'emulator-m365-daemon-secret' },
        mailbox,
        scope: 'https://outlook.office365.com/.default',
        authorityHost: i.httpsOrigin,
        ca: caSetting,
      },
      secrets: secret('emulator-m365-daemon-secret', daemon?.secrets[0]?.value),
      ...withServers,
    },
    basic: {
      provider: 'basic',
      settings: { username: mailbox, password: { secretRef: 'emulator-basic-password' } },
      secrets: secret('emulator-basic-password', user?.password),
      ...withServers,
    },
  };
}
