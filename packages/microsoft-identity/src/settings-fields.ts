/**
 * Settings both Microsoft 365 providers describe the same way (tenant, client id, cloud, authority
 * override, extra CA) and the msal configuration they build from them. Each provider's schema
 * composes these fields with its own; the package.json manifests must keep matching the result.
 */
import type { Configuration } from '@azure/msal-node';
import type { SettingsField } from '@mailplug/core';
import { MICROSOFT_CLOUD_OPTIONS, type MicrosoftCloudId } from './clouds.js';
import { buildMsalConfiguration, type MsalConfigurationOptions } from './msal-config.js';

/** A GUID as a settings-schema `pattern` (application, tenant and object ids). */
export const GUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/** The `tenant` field; each provider says which tenant values it takes (and may default one). */
export function microsoftTenantField(
  description: string,
  extra: Pick<SettingsField, 'default'> = {},
): SettingsField {
  return Object.freeze({
    key: 'tenant',
    label: 'Tenant',
    type: 'string',
    required: true,
    ...extra,
    description,
  });
}

/** The `clientId` field: the app registration's Application (client) ID. */
export const MICROSOFT_CLIENT_ID_FIELD: SettingsField = Object.freeze({
  key: 'clientId',
  label: 'Application (client) ID',
  type: 'string',
  required: true,
  pattern: GUID_PATTERN,
  patternHint:
    "Copy the Application (client) ID (a GUID) from the app registration's Overview page — not an email address.",
});

/** The `cloud` field: worldwide, US Government or China. */
export const MICROSOFT_CLOUD_FIELD: SettingsField = Object.freeze({
  key: 'cloud',
  label: 'Cloud',
  type: 'enum',
  default: 'global',
  options: MICROSOFT_CLOUD_OPTIONS,
});

/** The `authorityHost` field; the description names what the override may point at. */
export function microsoftAuthorityHostField(description: string): SettingsField {
  return Object.freeze({ key: 'authorityHost', label: 'Authority host override', type: 'url', description });
}

/** The `ca` field: an extra CA trusted for the authority override. */
export const MICROSOFT_CA_FIELD: SettingsField = Object.freeze({
  key: 'ca',
  label: 'Extra CA certificate',
  type: 'string',
  description: 'PEM text or file path, for the authority override',
});

/** The parsed settings every Microsoft provider has: where and as which app to sign in. */
export interface MicrosoftAppSettings {
  readonly clientId: string;
  readonly tenant: string;
  readonly cloud: MicrosoftCloudId;
  readonly authorityHost?: string;
  readonly ca?: string;
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
