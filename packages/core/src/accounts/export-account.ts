import { redact } from '../spec/v1/redact.js';
import type { ValidationIssue } from '../spec/v1/settings.js';
import type { MailAccount } from './account.js';
import { isSecretRef } from './settings-validation.js';
import type { AccountRegistry } from './validate-account.js';

export interface ExportAccountOptions {
  /** Used to learn which provider settings are secret-typed; without it, key names decide. */
  readonly registry?: Pick<AccountRegistry, 'describeAuthProvider'>;
}

export interface AccountExport {
  /** A JSON-safe copy with every inline secret removed; secret settings stay as `{ secretRef }`. */
  readonly account: MailAccount;
  /** One issue per value that was left out because it was (or looked like) a secret. */
  readonly dropped: readonly ValidationIssue[];
}

/** Keys that hold secrets whatever a schema says (a provider that mis-declares a field is still covered). */
const SECRET_NAMED =
  /(password|passwd|secret|privatekey|private_key|apikey|api_key|accesstoken|access_token|refreshtoken|refresh_token)$/i;

const droppedIssue = (path: string, why: string): ValidationIssue => ({
  path,
  message: `${why}, so it was left out of the export.`,
  fix: `Store the value in the host's secret store and set ${path} to { "secretRef": "<name>" }.`,
});

/**
 * Produces configuration that is safe to write to disk, share or put under version control:
 * secret-typed settings are kept only as `{ secretRef }`, and any inline secret — in a secret
 * field or anywhere it can be recognised (known secrets, tokens, keys) — is dropped and reported.
 *
 * @example
 * const { account: safe, dropped } = exportAccount(account, { registry });
 * await writeFile('account.json', JSON.stringify(safe, null, 2));
 * for (const d of dropped) console.warn(d.path, d.fix);
 */
export function exportAccount(account: MailAccount, options: ExportAccountOptions = {}): AccountExport {
  const dropped: ValidationIssue[] = [];
  const schemaSecrets = new Set(
    (options.registry?.describeAuthProvider(account.auth?.provider)?.settingsSchema.fields ?? [])
      .filter((f) => f.type === 'secret')
      .map((f) => f.key),
  );

  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(account.auth?.settings ?? {})) {
    const path = `auth.settings.${key}`;
    if (schemaSecrets.has(key) || SECRET_NAMED.test(key)) {
      if (isSecretRef(value)) settings[key] = { secretRef: value.secretRef };
      else if (value !== undefined && value !== null && value !== '') {
        dropped.push(droppedIssue(path, 'This secret setting held a value instead of a reference'));
      }
      continue;
    }
    settings[key] = value;
  }

  const copy = { ...account, auth: { ...account.auth, settings } };
  const safe = jsonSafe(copy, '', dropped) as MailAccount;
  return { account: safe, dropped };
}

/** Deep copy through JSON types only, dropping strings that redaction recognises as secrets. */
function jsonSafe(value: unknown, path: string, dropped: ValidationIssue[]): unknown {
  if (typeof value === 'string') {
    if (redact(value) !== value) {
      dropped.push(droppedIssue(path, 'This value looks like a password, token or key'));
      return undefined;
    }
    return value;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean' || value === null) return value;
  if (Array.isArray(value)) {
    return value.map((v, i) => jsonSafe(v, `${path}[${i}]`, dropped)).filter((v) => v !== undefined);
  }
  if (typeof value === 'object' && value !== undefined) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const childPath = path ? `${path}.${k}` : k;
      // A secret-named key anywhere (not only directly under auth.settings) keeps only a reference.
      if (SECRET_NAMED.test(k) && !isSecretRef(v)) {
        if (v !== undefined && v !== null && v !== '')
          dropped.push(
            droppedIssue(childPath, 'This secret-named value held a value instead of a reference'),
          );
        continue;
      }
      const child = jsonSafe(v, childPath, dropped);
      if (child !== undefined) out[k] = child;
    }
    return out;
  }
  return undefined;
}
