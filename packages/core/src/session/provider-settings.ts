import { isSecretRef, validateSettings, withDefaults } from '../accounts/settings-validation.js';
import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { AuthSessionInit } from '../spec/v1/auth-provider.js';
import type { SecretRef, SettingsField, SettingsSchema, ValidationIssue } from '../spec/v1/settings.js';

type Settings = Readonly<Record<string, unknown>>;

export interface ProviderSettingsOptions {
  /** The provider's schema, as its manifest declares it. */
  readonly schema: SettingsSchema;
  /**
   * Settings the host gives once for every account — typically its one OAuth app (client id,
   * client secret reference, tenant). An account's own value for a key overrides the host's.
   */
  readonly hostSettings?: Settings;
  /** Cross-field checks beyond the schema; they see the merged settings. */
  readonly validate?: (settings: Settings) => readonly ValidationIssue[];
}

/** A provider's settings handling, with the host's defaults folded in. */
export interface ProviderSettings {
  /**
   * The schema accounts are validated against (and admin forms are drawn from): fields the host
   * already settled are optional, and a text value it gave is shown as the default.
   */
  readonly settingsSchema: SettingsSchema;
  /** The provider's `validateSettings`: cross-field checks of account settings merged over the host's. */
  validateSettings(settings: Settings): readonly ValidationIssue[];
  /**
   * The merged settings of one account with schema defaults applied, checked against the full
   * schema and the cross-field rules. Throws `CONFIG_INVALID` (action `admin`) naming the first
   * problem; every problem is in `details.issues`.
   */
  read(init: Pick<AuthSessionInit, 'accountId' | 'settings'>): SettingsValues;
}

/** Validated settings with typed reads, so providers build their settings object without casts. */
export interface SettingsValues {
  readonly values: Readonly<Record<string, unknown>>;
  /** A non-empty string, else `undefined`. */
  text(key: string): string | undefined;
  /** A non-empty string the schema requires; throws `CONFIG_INVALID` if it is missing anyway. */
  requiredText(key: string): string;
  /** A secret reference, else `undefined`. */
  secret(key: string): SecretRef | undefined;
  /** A secret reference the schema requires; throws `CONFIG_INVALID` if it is missing anyway. */
  requiredSecret(key: string): SecretRef;
  /** `true` only when the value is `true`. */
  flag(key: string): boolean;
  /** A non-empty list of strings, else `undefined`. */
  list(key: string): string[] | undefined;
}

const isEmpty = (value: unknown) =>
  value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);

/**
 * Settings handling every provider shares: the manifest's schema, optional host-wide settings
 * (given once to the provider factory, overridden per account) and validation of the result, so
 * a host with one OAuth app does not repeat its client id and secret in every account.
 *
 * @example
 * const settings = createProviderSettings({
 *   schema: contribution.settingsSchema,
 *   hostSettings: { clientId: options.clientId, clientSecret: options.clientSecret },
 *   validate: validateAcmeSettings,
 * });
 * // provider: { settingsSchema: settings.settingsSchema, validateSettings: settings.validateSettings,
 * //             createSession: (init) => createAcmeSession(settings.read(init), init) }
 */
export function createProviderSettings(options: ProviderSettingsOptions): ProviderSettings {
  const { schema } = options;
  const host = checkHostSettings(schema, options.hostSettings ?? {});
  const merge = (account: Settings) => mergeOverHost(schema, host, account);

  return {
    settingsSchema: Object.keys(host).length === 0 ? schema : relaxSchema(schema, host),
    validateSettings: (settings) => options.validate?.(merge(settings)) ?? [],
    read(init) {
      const merged = withDefaults(schema, merge(init.settings));
      const issues = [...validateSettings(schema, merged), ...(options.validate?.(merged) ?? [])];
      const first = issues[0];
      if (first) {
        throw mailplugError(
          CoreErrorCode.ConfigInvalid,
          'admin',
          `The settings of account "${init.accountId}" are invalid: ${first.path ? `${first.path}: ` : ''}${first.message}`,
          first.fix,
          { details: { accountId: init.accountId, issues } },
        );
      }
      return settingsValues(init.accountId, merged);
    },
  };
}

function settingsValues(accountId: string, values: Readonly<Record<string, unknown>>): SettingsValues {
  const missing = (key: string) =>
    mailplugError(
      CoreErrorCode.ConfigInvalid,
      'admin',
      `The settings of account "${accountId}" lack ${key}.`,
      `Set auth.settings.${key}.`,
      { details: { accountId, key } },
    );
  const secret = (key: string) => (isSecretRef(values[key]) ? (values[key] as SecretRef) : undefined);
  const text = (key: string) => {
    const value = values[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  return {
    values,
    text,
    requiredText(key) {
      const value = text(key);
      if (value === undefined) throw missing(key);
      return value;
    },
    secret,
    requiredSecret(key) {
      const value = secret(key);
      if (value === undefined) throw missing(key);
      return value;
    },
    flag: (key) => values[key] === true,
    list(key) {
      const value = values[key];
      return Array.isArray(value) && value.length > 0 ? value.map(String) : undefined;
    },
  };
}

/** Host settings may only name fields of the schema; empty values are dropped. */
function checkHostSettings(schema: SettingsSchema, hostSettings: Settings): Settings {
  const known = new Set(schema.fields.map((f) => f.key));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(hostSettings)) {
    if (isEmpty(value)) continue;
    if (!known.has(key)) {
      throw mailplugError(
        CoreErrorCode.ConfigInvalid,
        'developer',
        `"${key}" is not a setting of this provider, so the host cannot set it for every account.`,
        `Pass only these settings to the provider factory: ${[...known].join(', ')}.`,
        { details: { key } },
      );
    }
    out[key] = value;
  }
  return out;
}

/**
 * Account values win. Where a rule groups alternatives (client secret or certificate) and the
 * account chose one, the host's values for that group are dropped, so the account's choice
 * replaces the host's instead of adding to it.
 */
function mergeOverHost(schema: SettingsSchema, host: Settings, account: Settings): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...host };
  for (const rule of schema.rules ?? []) {
    if (rule.keys.some((k) => !isEmpty(account[k]))) for (const k of rule.keys) delete merged[k];
  }
  for (const [key, value] of Object.entries(account)) if (!isEmpty(value)) merged[key] = value;
  return merged;
}

function relaxSchema(schema: SettingsSchema, host: Settings): SettingsSchema {
  const relax = (field: SettingsField): SettingsField => {
    if (!(field.key in host)) return field;
    const value = host[field.key];
    const shownDefault = typeof value === 'string' && field.type !== 'secret' ? { default: value } : {};
    return Object.freeze({ ...field, required: false, ...shownDefault });
  };
  return Object.freeze({
    fields: Object.freeze(schema.fields.map(relax)),
    ...(schema.rules
      ? { rules: Object.freeze(schema.rules.filter((rule) => !rule.keys.some((k) => k in host))) }
      : {}),
  });
}
