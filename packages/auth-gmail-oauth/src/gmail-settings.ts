/**
 * The settings of a `gmail-oauth` account: their shape, cross-field checks, and what they imply
 * (expected ID-token issuers, loopback redirect handling).
 */
import type { SecretRef, SettingsValues, ValidationIssue } from '@mailplug/core';
import { GOOGLE_PROVIDER, type GoogleMailProtocol, isGoogleMailProtocol } from './provider-data.js';

/** Settings of a `gmail-oauth` account (validated against the manifest schema). */
export interface GmailOAuthSettings {
  readonly clientId: string;
  readonly clientSecret: SecretRef;
  readonly redirectUri?: string;
  readonly loginHint?: string;
  readonly sendOnly: boolean;
  /** The protocols the account uses; only their scopes are requested at sign-in. */
  readonly protocols: readonly GoogleMailProtocol[];
  /**
   * The OAuth consent screen is External and still in "Testing": Google ends every sign-in 7 days
   * after it was given, so `checkAuthorization` reports that end (and keep-alive warns before it).
   */
  readonly testingMode: boolean;
  readonly authUrl?: string;
  readonly tokenUrl?: string;
  readonly revokeUrl?: string;
  readonly tokenInfoUrl?: string;
  readonly userInfoUrl?: string;
  readonly certsUrl?: string;
  readonly issuer?: string;
  /** The mailbox this account is for: pre-fills Google's chooser; sign-in as anyone else is refused. */
  readonly mailbox?: string;
  /** PEM of an extra CA to trust for the identity endpoints (private deployments, the emulator). */
  readonly ca?: string;
}

const ENDPOINT_KEYS = [
  'authUrl',
  'tokenUrl',
  'revokeUrl',
  'tokenInfoUrl',
  'userInfoUrl',
  'certsUrl',
] as const;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Cross-field checks beyond the schema. */
export function validateGmailOAuthSettings(settings: Readonly<Record<string, unknown>>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const { clientId, redirectUri } = settings;
  if (typeof clientId === 'string' && clientId.includes('@')) {
    issues.push({
      path: 'clientId',
      message: 'The Client ID looks like an email address.',
      fix: 'Copy the Client ID (ending in .apps.googleusercontent.com) from Google Cloud console → APIs & Services → Credentials.',
    });
  }
  if (typeof redirectUri === 'string') {
    try {
      const u = new URL(redirectUri);
      if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname))) {
        issues.push({
          path: 'redirectUri',
          message: 'Google accepts plain http redirect URIs only on loopback addresses.',
          fix: 'Use an https:// callback URL, or http://127.0.0.1 for a CLI/desktop host.',
        });
      }
    } catch {
      // The schema's url check reports it.
    }
  }
  const protocols = Array.isArray(settings.protocols) ? (settings.protocols as unknown[]) : [];
  for (const p of protocols) {
    if (typeof p !== 'string' || !isGoogleMailProtocol(p)) {
      issues.push({
        path: 'protocols',
        message: `"${String(p)}" is not a Gmail protocol.`,
        fix: 'Use smtp, imap, pop3 and/or gmail-api.',
      });
    }
  }
  const overrides = ENDPOINT_KEYS.filter((k) => typeof settings[k] === 'string' && settings[k] !== '');
  if (overrides.length > 0 && overrides.length < ENDPOINT_KEYS.length) {
    const missing = ENDPOINT_KEYS.filter((k) => !overrides.includes(k));
    issues.push({
      path: missing[0] ?? 'tokenUrl',
      message: `Only some Google endpoints are overridden (missing: ${missing.join(', ')}).`,
      fix: 'Override every endpoint URL of the same identity platform, or none (a mix would send some requests to Google).',
    });
  }
  return issues;
}

const DEFAULT_PROTOCOLS: readonly GoogleMailProtocol[] = ['smtp', 'imap', 'pop3'];

/** Reads the validated, merged settings of one account. */
export function parseGmailOAuthSettings(values: SettingsValues): GmailOAuthSettings {
  const optional = <K extends keyof GmailOAuthSettings>(key: K) => {
    const value = values.text(key);
    return value !== undefined ? { [key]: value } : {};
  };
  return {
    clientId: values.requiredText('clientId'),
    clientSecret: values.requiredSecret('clientSecret'),
    sendOnly: values.flag('sendOnly'),
    protocols: (values.list('protocols') ?? DEFAULT_PROTOCOLS).filter(isGoogleMailProtocol),
    testingMode: values.flag('testingMode'),
    ...optional('redirectUri'),
    ...optional('loginHint'),
    ...optional('mailbox'),
    ...optional('issuer'),
    ...optional('ca'),
    ...optional('authUrl'),
    ...optional('tokenUrl'),
    ...optional('revokeUrl'),
    ...optional('tokenInfoUrl'),
    ...optional('userInfoUrl'),
    ...optional('certsUrl'),
  };
}

/**
 * Google's issuers, or with an overridden token URL the `issuer` setting — by default the token
 * URL without its last path segment (`https://idp.example/google/token` → `https://idp.example/google`),
 * which is how Google-compatible platforms lay out their endpoints.
 */
export function expectedIssuers(settings: GmailOAuthSettings): string[] {
  if (settings.issuer) return [settings.issuer];
  if (!settings.tokenUrl || settings.tokenUrl === GOOGLE_PROVIDER.endpoints.tokenUrl)
    return [...GOOGLE_PROVIDER.issuers];
  const u = new URL(settings.tokenUrl);
  return [`${u.origin}${u.pathname.replace(/\/[^/]*$/, '')}`];
}

export function isLoopbackUri(uri: string | undefined): uri is string {
  if (!uri) return false;
  try {
    const u = new URL(uri);
    return u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname);
  } catch {
    return false;
  }
}
