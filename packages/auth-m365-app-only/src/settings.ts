/** Settings of the `m365-app-only` provider (client credentials for a service mailbox). */
import {
  isSecretRef,
  type SecretRef,
  type SettingsSchema,
  type ValidationIssue,
  withDefaults,
} from '@mailplug/core';
import {
  appOnlyDefaultScope,
  GUID_PATTERN,
  MICROSOFT_CA_FIELD,
  MICROSOFT_CLIENT_ID_FIELD,
  MICROSOFT_CLOUD_FIELD,
  MICROSOFT_CLOUDS,
  type MicrosoftAppSettings,
  type MicrosoftCloudId,
  microsoftAuthorityHostField,
  microsoftTenantField,
  validateTenant,
} from '@mailplug/microsoft-identity';

export const M365_APP_ONLY_PROVIDER_ID = 'm365-app-only';

export const m365AppOnlySettingsSchema: SettingsSchema = Object.freeze({
  fields: Object.freeze([
    microsoftTenantField('Directory (tenant) ID or the tenant domain — never common/organizations'),
    MICROSOFT_CLIENT_ID_FIELD,
    {
      key: 'clientSecret',
      label: 'Client secret',
      type: 'secret',
      description: 'The secret Value, not its Secret ID',
    },
    {
      key: 'certificateThumbprint',
      label: 'Certificate thumbprint',
      type: 'string',
      description: 'SHA-256 (64 hex) or SHA-1 (40 hex) thumbprint of the uploaded certificate',
    },
    {
      key: 'certificatePrivateKey',
      label: 'Certificate private key',
      type: 'secret',
      description: 'PEM private key of that certificate',
    },
    {
      key: 'mailbox',
      label: 'Mailbox',
      type: 'email',
      required: true,
      description: 'The mailbox the app sends as (the "authorised user")',
    },
    {
      key: 'scope',
      label: 'Scope',
      type: 'string',
      description:
        'Default https://outlook.office365.com/.default; some hosts use https://outlook.office.com/.default',
    },
    {
      key: 'tokenUrl',
      label: 'Authentication token URL',
      type: 'url',
      description:
        'e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token (optional; derived from the tenant)',
    },
    MICROSOFT_CLOUD_FIELD,
    {
      key: 'secretExpiresOn',
      label: 'Secret expires on',
      type: 'date',
      description: 'Warns weeks before the secret stops working',
    },
    { key: 'certificateExpiresOn', label: 'Certificate expires on', type: 'date' },
    {
      key: 'servicePrincipalObjectId',
      label: 'Enterprise application object ID',
      type: 'string',
      pattern: GUID_PATTERN,
      patternHint: 'The Object ID on the Enterprise application (not the app registration) page.',
      description: 'Only used to print the exact Exchange PowerShell commands in diagnostics',
    },
    microsoftAuthorityHostField('https://host[:port] of a private authority or the emulator'),
    MICROSOFT_CA_FIELD,
  ]),
  rules: Object.freeze([
    {
      kind: 'exactlyOne',
      keys: Object.freeze(['clientSecret', 'certificatePrivateKey']),
      message: 'Use either a client secret or a certificate, not both and not neither.',
    },
  ]),
}) as SettingsSchema;

export interface M365AppOnlySettings extends MicrosoftAppSettings {
  readonly clientSecret?: SecretRef;
  readonly certificate?: { readonly thumbprint: string; readonly privateKey: SecretRef };
  readonly mailbox: string;
  readonly scope: string;
  readonly secretExpiresAt?: number;
  readonly certificateExpiresAt?: number;
  readonly servicePrincipalObjectId?: string;
}

interface ParsedTokenUrl {
  readonly origin: string;
  readonly tenant: string;
}

/** `https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token` → origin + tenant. */
export function parseTokenUrl(tokenUrl: string): ParsedTokenUrl | undefined {
  let url: URL;
  try {
    url = new URL(tokenUrl);
  } catch {
    return undefined;
  }
  const match = /^\/([^/]+)\/oauth2\/(?:v2\.0\/)?token\/?$/.exec(url.pathname);
  if (!match?.[1] || url.protocol !== 'https:') return undefined;
  return { origin: url.origin, tenant: decodeURIComponent(match[1]) };
}

function normaliseThumbprint(value: string): string {
  return value.replace(/[:\s]/g, '').toLowerCase();
}

export function validateM365AppOnlySettings(settings: Readonly<Record<string, unknown>>): ValidationIssue[] {
  const s = withDefaults(m365AppOnlySettingsSchema, settings);
  const issues: ValidationIssue[] = [
    ...validateTenant(s.tenant, { path: 'tenant', allowMultiTenant: false }),
  ];
  if (isSecretRef(s.certificatePrivateKey)) {
    const t = typeof s.certificateThumbprint === 'string' ? normaliseThumbprint(s.certificateThumbprint) : '';
    if (!/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(t)) {
      issues.push({
        path: 'certificateThumbprint',
        message: 'A certificate needs its thumbprint (40 or 64 hex characters).',
        fix: "Copy the thumbprint shown for the certificate under the app registration's Certificates & secrets.",
      });
    }
  }
  if (typeof s.tokenUrl === 'string' && s.tokenUrl) {
    const parsed = parseTokenUrl(s.tokenUrl);
    if (!parsed) {
      issues.push({
        path: 'tokenUrl',
        message: 'The token URL is not an Entra ID v2 token endpoint.',
        fix: 'Use https://login.microsoftonline.com/<tenant id>/oauth2/v2.0/token.',
      });
    } else {
      issues.push(...validateTenant(parsed.tenant, { path: 'tokenUrl', allowMultiTenant: false }));
      if (typeof s.tenant === 'string' && parsed.tenant.toLowerCase() !== s.tenant.toLowerCase()) {
        issues.push({
          path: 'tokenUrl',
          message: `The token URL names tenant "${parsed.tenant}" but the tenant setting is "${s.tenant}".`,
          fix: 'Make the token URL and the tenant setting name the same directory.',
        });
      }
    }
  }
  if (typeof s.scope === 'string' && s.scope && !s.scope.endsWith('/.default')) {
    issues.push({
      path: 'scope',
      message: 'App-only tokens are requested for a resource\'s ".default" scope.',
      fix: 'Use https://outlook.office365.com/.default (or https://outlook.office.com/.default).',
    });
  }
  return issues;
}

const dateMs = (v: unknown) => (typeof v === 'string' && v ? Date.parse(`${v}T00:00:00Z`) : undefined);

export function parseM365AppOnlySettings(raw: Readonly<Record<string, unknown>>): M365AppOnlySettings {
  const s = withDefaults(m365AppOnlySettingsSchema, raw);
  const str = (k: string) => (typeof s[k] === 'string' && s[k] !== '' ? (s[k] as string) : undefined);
  const cloud = (str('cloud') ?? 'global') as MicrosoftCloudId;
  const fromUrl = str('tokenUrl') ? parseTokenUrl(str('tokenUrl') as string) : undefined;
  const knownHost =
    fromUrl && Object.values(MICROSOFT_CLOUDS).find((c) => c.authorityHost === fromUrl.origin);
  const authorityHost = str('authorityHost') ?? (fromUrl && !knownHost ? fromUrl.origin : undefined);
  const secretExpiresAt = dateMs(s.secretExpiresOn);
  const certificateExpiresAt = dateMs(s.certificateExpiresOn);
  return {
    tenant: str('tenant') ?? fromUrl?.tenant ?? '',
    clientId: str('clientId') ?? '',
    ...(isSecretRef(s.clientSecret) ? { clientSecret: s.clientSecret } : {}),
    ...(isSecretRef(s.certificatePrivateKey)
      ? {
          certificate: {
            thumbprint: normaliseThumbprint(str('certificateThumbprint') ?? ''),
            privateKey: s.certificatePrivateKey,
          },
        }
      : {}),
    mailbox: str('mailbox') ?? '',
    scope: str('scope') ?? appOnlyDefaultScope(knownHost ? knownHost.id : cloud),
    cloud: knownHost ? knownHost.id : cloud,
    ...(authorityHost ? { authorityHost } : {}),
    ...(str('ca') ? { ca: str('ca') } : {}),
    ...(secretExpiresAt !== undefined && !Number.isNaN(secretExpiresAt) ? { secretExpiresAt } : {}),
    ...(certificateExpiresAt !== undefined && !Number.isNaN(certificateExpiresAt)
      ? { certificateExpiresAt }
      : {}),
    ...(str('servicePrincipalObjectId') ? { servicePrincipalObjectId: str('servicePrincipalObjectId') } : {}),
  };
}
