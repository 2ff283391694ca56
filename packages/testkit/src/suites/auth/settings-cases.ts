/** What the suite reads from a settings schema: its own mistakes, and bad settings it must reject. */
import type { SettingsField, SettingsSchema } from '@mailplug/core';
import type { InvalidSettingsCase } from './auth-options.js';

const FIELD_TYPES = new Set([
  'string',
  'email',
  'url',
  'number',
  'boolean',
  'enum',
  'secret',
  'date',
  'string[]',
]);
/** Keys that name a secret: its value belongs in the host's secret store, never in settings. */
const SECRET_NAMED = /(password|passwd|secret|private_?key|api_?key|token)$/i;

/** Mistakes in the schema itself, each a sentence; empty when it is well-formed. */
export function schemaProblems(schema: SettingsSchema): string[] {
  if (!schema || !Array.isArray(schema.fields)) return ['settingsSchema.fields must be an array.'];
  const problems: string[] = [];
  const keys = new Set<string>();
  for (const field of schema.fields) {
    const name = `field "${String(field.key)}"`;
    if (typeof field.key !== 'string' || field.key.length === 0) problems.push('every field needs a key.');
    if (keys.has(field.key)) problems.push(`${name} is declared twice.`);
    keys.add(field.key);
    if (typeof field.label !== 'string' || field.label.trim().length === 0)
      problems.push(`${name} needs a label.`);
    if (!FIELD_TYPES.has(field.type))
      problems.push(`${name} has an unknown type ${JSON.stringify(field.type)}.`);
    if (field.type === 'enum' && !(field.options && field.options.length > 0))
      problems.push(`${name} is an enum without options.`);
    if (field.pattern !== undefined) {
      try {
        new RegExp(field.pattern);
      } catch {
        problems.push(`${name} has a pattern that is not a regular expression.`);
      }
    }
    if (field.type !== 'secret' && SECRET_NAMED.test(field.key)) {
      problems.push(
        `${name} names a secret but has type "${field.type}"; make it "secret" so only a { secretRef } is stored.`,
      );
    }
  }
  for (const field of schema.fields) {
    if (field.when && !keys.has(field.when.key))
      problems.push(`field "${field.key}" depends on an unknown field "${field.when.key}".`);
  }
  for (const rule of schema.rules ?? []) {
    for (const key of rule.keys)
      if (!keys.has(key)) problems.push(`a ${rule.kind} rule names an unknown field "${key}".`);
  }
  return problems;
}

const alwaysRequired = (f: SettingsField) => f.required === true && !f.when && f.default === undefined;

/**
 * Bad settings every provider must reject, derived from its schema and working settings: each
 * always-required field missing, each secret written inline, and a key that is no setting.
 */
export function invalidSettingsCases(
  schema: SettingsSchema,
  working: Readonly<Record<string, unknown>>,
): InvalidSettingsCase[] {
  const cases: InvalidSettingsCase[] = [];
  const required = schema.fields.filter(alwaysRequired);
  if (required.length > 0) {
    cases.push({
      settings: Object.fromEntries(
        Object.entries(working).filter(([k]) => !required.some((f) => f.key === k)),
      ),
      paths: required.map((f) => f.key),
    });
  }
  for (const field of schema.fields.filter((f) => f.type === 'secret' && !f.when)) {
    cases.push({ settings: { ...working, [field.key]: 'an-inline-secret-value' }, paths: [field.key] });
  }
  cases.push({ settings: { ...working, notASetting: 'x' }, paths: ['notASetting'] });
  return cases;
}
