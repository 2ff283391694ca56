/**
 * The settings every Microsoft 365 provider has (where and as which app to sign in: tenant,
 * client id, cloud, authority override, extra CA), read and checked the same way, and the msal
 * configuration built from them. The fields themselves are declared in each provider's manifest.
 */
import type { Configuration } from '@azure/msal-node';
import type { SecretRef, SettingsValues, ValidationIssue } from '@mailplug/core';
import { MICROSOFT_CLOUDS, type MicrosoftCloudId } from './clouds.js';
import { buildMsalConfiguration, type MsalConfigurationOptions } from './msal-config.js';
import { validateTenant } from './tenant.js';

/** The parsed settings every Microsoft provider has: where and as which app to sign in. */
export interface MicrosoftAppSettings {
  readonly clientId: string;
  readonly tenant: string;
  readonly cloud: MicrosoftCloudId;
  readonly authorityHost?: string;
  readonly ca?: string;
}

/**
 * The app registration a host may give once to a Microsoft provider factory, for every account;
 * an account that sets one of these overrides it.
 */
export interface MicrosoftHostAppOptions {
  /** Directory (tenant) ID or domain. */
  readonly tenant?: string;
  /** Application (client) ID. */
  readonly clientId?: string;
  /** Reference to the client secret Value in the host's secret store. */
  readonly clientSecret?: SecretRef;
}

/** The host-wide settings of a factory's options, for core's `defineAuthProvider({ hostSettings })`. */
export function hostAppSettings(options: MicrosoftHostAppOptions): Record<string, unknown> {
  return { tenant: options.tenant, clientId: options.clientId, clientSecret: options.clientSecret };
}

/**
 * Reads the shared fields from validated settings.
 *
 * @example
 * const values = providerSettings.read(init);
 * const settings = { ...readMicrosoftAppSettings(values), mailbox: values.requiredText('mailbox') };
 */
export function readMicrosoftAppSettings(values: SettingsValues): MicrosoftAppSettings {
  const cloud = values.text('cloud') ?? 'global';
  const authorityHost = values.text('authorityHost');
  const ca = values.text('ca');
  return {
    clientId: values.requiredText('clientId'),
    tenant: values.requiredText('tenant'),
    cloud: cloud in MICROSOFT_CLOUDS ? (cloud as MicrosoftCloudId) : 'global',
    ...(authorityHost ? { authorityHost } : {}),
    ...(ca ? { ca } : {}),
  };
}

/**
 * Cross-field checks of the shared fields. `allowMultiTenant` is true for delegated sign-in
 * (`organizations` lets any work account sign in) and false for app-only (one directory).
 *
 * @example
 * const issues = validateMicrosoftAppSettings(settings, { allowMultiTenant: false });
 */
export function validateMicrosoftAppSettings(
  settings: Readonly<Record<string, unknown>>,
  options: { readonly allowMultiTenant: boolean },
): ValidationIssue[] {
  const issues = validateTenant(settings.tenant, { path: 'tenant', ...options });
  if (typeof settings.authorityHost === 'string' && !settings.authorityHost.startsWith('https://')) {
    issues.push({
      path: 'authorityHost',
      message: 'The authority host must use https (msal refuses http authorities).',
      fix: 'Enter https://host[:port].',
    });
  }
  return issues;
}

/** What a provider adds to its settings: credentials, cache, request observer, logger. */
export type MsalConfigurationExtras = {
  readonly [K in Exclude<keyof MsalConfigurationOptions, keyof MicrosoftAppSettings>]?:
    | MsalConfigurationOptions[K]
    | undefined;
};

/**
 * The msal `Configuration` for a provider's parsed settings plus its extras; extras left
 * `undefined` are omitted, so callers pass optional values straight through.
 *
 * @example
 * new ConfidentialClientApplication(
 *   msalConfigurationFor(settings, { clientSecret, cachePlugin, onRequest: options.onRequest, logger: init.logger }),
 * );
 */
export function msalConfigurationFor(
  settings: MicrosoftAppSettings,
  extras: MsalConfigurationExtras = {},
): Configuration {
  const defined = Object.fromEntries(Object.entries(extras).filter(([, value]) => value !== undefined));
  return buildMsalConfiguration({
    ...defined,
    clientId: settings.clientId,
    tenant: settings.tenant,
    cloud: settings.cloud,
    ...(settings.authorityHost ? { authorityHost: settings.authorityHost } : {}),
    ...(settings.ca ? { ca: settings.ca } : {}),
  });
}
