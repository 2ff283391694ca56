import type { SecretRef, SettingsField, SettingsSchema, ValidationIssue } from '../spec/v1/settings.js';
import { isLoopbackHost } from './account.js';

export function isSecretRef(value: unknown): value is SecretRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as SecretRef).secretRef === 'string' &&
    (value as SecretRef).secretRef.length > 0
  );
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isEmpty(value: unknown): boolean {
  return (
    value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)
  );
}

function applies(field: SettingsField, settings: Readonly<Record<string, unknown>>): boolean {
  if (!field.when) return true;
  // `when` compares against the value as given; callers apply defaults first (see withDefaults).
  return settings[field.when.key] === field.when.equals;
}

/**
 * Validates provider settings against a data schema. Returns every problem at once, each with a
 * path (prefixed by `pathPrefix`) and a plain-language fix; an empty array means valid.
 */
export function validateSettings(
  schema: SettingsSchema,
  settings: Readonly<Record<string, unknown>> | undefined,
  pathPrefix = '',
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const values = settings ?? {};
  const at = (key: string) => `${pathPrefix}${key}`;
  const known = new Set(schema.fields.map((f) => f.key));

  for (const key of Object.keys(values)) {
    if (!known.has(key)) {
      issues.push({
        path: at(key),
        message: `"${key}" is not a setting of this provider.`,
        fix: `Remove "${key}" or check its spelling; known settings are: ${[...known].join(', ')}.`,
      });
    }
  }

  for (const field of schema.fields) {
    const value = values[field.key];
    if (!applies(field, values)) continue;
    if (isEmpty(value)) {
      if (field.required && field.default === undefined) {
        issues.push({
          path: at(field.key),
          message: `${field.label} is required.`,
          fix: `Enter the ${field.label.toLowerCase()}${field.description ? ` (${field.description})` : ''}.`,
        });
      }
      continue;
    }
    const issue = checkField(field, value);
    if (issue) issues.push({ path: at(field.key), ...issue });
  }

  for (const rule of schema.rules ?? []) {
    const set = rule.keys.filter((k) => !isEmpty(values[k]));
    const bad = rule.kind === 'exactlyOne' ? set.length !== 1 : set.length === 0;
    if (bad) {
      issues.push({
        path: at(rule.keys[0] ?? ''),
        message: rule.message,
        fix:
          rule.kind === 'exactlyOne'
            ? `Set exactly one of: ${rule.keys.join(', ')}.`
            : `Set at least one of: ${rule.keys.join(', ')}.`,
      });
    }
  }
  return issues;
}

function checkField(field: SettingsField, value: unknown): Omit<ValidationIssue, 'path'> | undefined {
  const label = field.label;
  switch (field.type) {
    case 'secret':
      if (typeof value === 'string') {
        return {
          message: `${label} must not be written into the configuration.`,
          fix: `Store the value in the host's secret store and set this field to { "secretRef": "<name>" }.`,
        };
      }
      if (!isSecretRef(value)) {
        return {
          message: `${label} must be a secret reference.`,
          fix: `Set it to { "secretRef": "<name of the secret in the host's secret store>" }.`,
        };
      }
      return undefined;
    case 'boolean':
      return typeof value === 'boolean'
        ? undefined
        : { message: `${label} must be true or false.`, fix: 'Use true or false.' };
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return { message: `${label} must be a number.`, fix: `Enter a number${range(field)}.` };
      }
      if ((field.min !== undefined && value < field.min) || (field.max !== undefined && value > field.max)) {
        return { message: `${label} is out of range.`, fix: `Enter a number${range(field)}.` };
      }
      return undefined;
    }
    case 'enum': {
      const allowed = (field.options ?? []).map((o) => o.value);
      return typeof value === 'string' && allowed.includes(value)
        ? undefined
        : { message: `${label} has an unknown value.`, fix: `Choose one of: ${allowed.join(', ')}.` };
    }
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string' && v.length > 0)
        ? undefined
        : { message: `${label} must be a list of text values.`, fix: 'Enter one or more non-empty values.' };
    default: {
      if (typeof value !== 'string')
        return { message: `${label} must be text.`, fix: `Enter the ${label.toLowerCase()} as text.` };
      // Multi-line values (a pasted PEM key or certificate) may end with a newline.
      if (!value.includes('\n') && value.trim() !== value) {
        return {
          message: `${label} has leading or trailing spaces.`,
          fix: 'Remove the spaces around the value (a common copy-paste slip).',
        };
      }
      if (field.type === 'email' && !EMAIL.test(value)) {
        return {
          message: `${label} is not an email address.`,
          fix: 'Enter a full address such as name@example.com.',
        };
      }
      if (field.type === 'url') {
        let url: URL;
        try {
          url = new URL(value);
        } catch {
          return { message: `${label} is not a valid URL.`, fix: 'Enter a full https:// address.' };
        }
        // Identity, token, revocation and API endpoints receive secrets and tokens: never in clear
        // text, except to this machine (emulators, local test servers).
        if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
          return {
            message: `${label} must use https:// (got ${url.protocol}//${url.host}).`,
            fix: 'Enter the https:// address; plain http:// is accepted only for loopback addresses (127.0.0.1, ::1, localhost).',
          };
        }
      }
      if (field.type === 'date' && (!DATE.test(value) || Number.isNaN(Date.parse(value)))) {
        return { message: `${label} is not a date.`, fix: 'Enter the date as YYYY-MM-DD.' };
      }
      if (field.pattern && !new RegExp(field.pattern).test(value)) {
        return {
          message: `${label} does not look right.`,
          fix: field.patternHint ?? `Enter a value matching ${field.pattern}.`,
        };
      }
      return undefined;
    }
  }
}

function range(field: SettingsField): string {
  if (field.min !== undefined && field.max !== undefined) return ` from ${field.min} to ${field.max}`;
  if (field.min !== undefined) return ` of at least ${field.min}`;
  if (field.max !== undefined) return ` of at most ${field.max}`;
  return '';
}

/** Settings with schema defaults filled in for missing values. */
export function withDefaults(
  schema: SettingsSchema,
  settings: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(settings ?? {}) };
  for (const field of schema.fields) {
    if (isEmpty(out[field.key]) && field.default !== undefined) out[field.key] = field.default;
  }
  return out;
}
