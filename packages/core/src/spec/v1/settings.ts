/**
 * Settings schemas are plain data so that they can live in a package manifest and drive an admin
 * form for an adapter that has never been loaded.
 */
export type SettingsFieldType =
  | 'string'
  | 'email'
  | 'url'
  | 'number'
  | 'boolean'
  | 'enum'
  /** A reference to a value in the host's SecretStore: `{ "secretRef": "name" }`. */
  | 'secret'
  /** ISO 8601 date (YYYY-MM-DD). */
  | 'date'
  /** A list of strings. */
  | 'string[]';

export interface SettingsField {
  readonly key: string;
  readonly label: string;
  readonly type: SettingsFieldType;
  readonly required?: boolean;
  readonly description?: string;
  readonly placeholder?: string;
  readonly default?: string | number | boolean | readonly string[];
  /** Allowed values for `enum`. */
  readonly options?: readonly { readonly value: string; readonly label: string }[];
  /** A regular expression (source) a `string` value must match. */
  readonly pattern?: string;
  /** Shown to the admin when `pattern` does not match. */
  readonly patternHint?: string;
  readonly min?: number;
  readonly max?: number;
  /** Only relevant (and only required) when another field has a given value. */
  readonly when?: { readonly key: string; readonly equals: string | boolean };
  /** A field the host shows read-only, e.g. the redirect URI to register. */
  readonly readOnly?: boolean;
}

export interface SettingsRule {
  /** Exactly one of the keys must be set. */
  readonly kind: 'exactlyOne' | 'atLeastOne';
  readonly keys: readonly string[];
  readonly message: string;
}

export interface SettingsSchema {
  readonly fields: readonly SettingsField[];
  readonly rules?: readonly SettingsRule[];
}

/** A reference to a secret held in the host's SecretStore. Never the secret itself. */
export interface SecretRef {
  readonly secretRef: string;
}

/** One problem found while validating configuration. */
export interface ValidationIssue {
  /** Dotted path to the offending field, e.g. `server.port` or `auth.settings.clientId`. */
  readonly path: string;
  /** What is wrong, in plain language. */
  readonly message: string;
  /** What the admin should do about it. */
  readonly fix: string;
}
