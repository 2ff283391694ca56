/** Settings of the `m365-app-only` provider (client credentials for a service mailbox). */
import { isSecretRef, type SecretRef, type SettingsValues, type ValidationIssue } from '@mailplug/core';
import {
  appOnlyDefaultScope,
  MICROSOFT_CLOUDS,
  type MicrosoftAppSettings,
  readMicrosoftAppSettings,
  validateMicrosoftAppSettings,
  validateTenant,
} from '@mailplug/microsoft-identity';

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
function parseTokenUrl(tokenUrl: string): ParsedTokenUrl | undefined {
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

/** Cross-field checks beyond the manifest's schema (which has the "secret or certificate" rule). */
export function validateM365AppOnlySettings(s: Readonly<Record<string, unknown>>): ValidationIssue[] {
  const issues = validateMicrosoftAppSettings(s, { allowMultiTenant: false });
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

const dateMs = (v: string | undefined) => (v ? Date.parse(`${v}T00:00:00Z`) : Number.NaN);

/** Reads the validated, merged settings of one account. */
export function parseM365AppOnlySettings(values: SettingsValues): M365AppOnlySettings {
  const app = readMicrosoftAppSettings(values);
  const tokenUrl = values.text('tokenUrl');
  const fromUrl = tokenUrl ? parseTokenUrl(tokenUrl) : undefined;
  // The "Authentication token URL" hosts ask admins for names the cloud (a known sign-in host) or
  // a private authority (any other host).
  const knownHost =
    fromUrl && Object.values(MICROSOFT_CLOUDS).find((c) => c.authorityHost === fromUrl.origin);
  const cloud = knownHost ? knownHost.id : app.cloud;
  const authorityHost = app.authorityHost ?? (fromUrl && !knownHost ? fromUrl.origin : undefined);
  const clientSecret = values.secret('clientSecret');
  const privateKey = values.secret('certificatePrivateKey');
  const secretExpiresAt = dateMs(values.text('secretExpiresOn'));
  const certificateExpiresAt = dateMs(values.text('certificateExpiresOn'));
  const servicePrincipalObjectId = values.text('servicePrincipalObjectId');
  return {
    ...app,
    cloud,
    ...(authorityHost ? { authorityHost } : {}),
    ...(clientSecret ? { clientSecret } : {}),
    ...(privateKey
      ? {
          certificate: {
            thumbprint: normaliseThumbprint(values.text('certificateThumbprint') ?? ''),
            privateKey,
          },
        }
      : {}),
    mailbox: values.requiredText('mailbox'),
    scope: values.text('scope') ?? appOnlyDefaultScope(cloud),
    ...(Number.isNaN(secretExpiresAt) ? {} : { secretExpiresAt }),
    ...(Number.isNaN(certificateExpiresAt) ? {} : { certificateExpiresAt }),
    ...(servicePrincipalObjectId ? { servicePrincipalObjectId } : {}),
  };
}
