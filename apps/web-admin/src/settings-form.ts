/**
 * The provider's settings form, generated from the settings schema in its package manifest —
 * read through `registry.list()`, so the adapter's code is never loaded to draw it. Secret fields
 * are write-only: the page says whether a value is stored, never what it is.
 */
import type { AuthProviderListing, SettingsField, ValidationIssue } from '@mailplug/core';
import { isSecretRef } from '@mailplug/core';
import { type Html, type HtmlValue, html, raw, when } from './html.js';

/** Fields the "OAuth client registration" dialog holds for browser sign-in methods. */
const REGISTRATION_KEYS = new Set(['tenant', 'clientId', 'clientSecret', 'redirectUri']);

export function isRegistrationField(listing: AuthProviderListing, field: SettingsField): boolean {
  return listing.capabilities.interactive && REGISTRATION_KEYS.has(field.key);
}

/** Overrides admins rarely touch (private deployments, the emulator) go under "Advanced". */
export function isAdvancedField(field: SettingsField): boolean {
  return (
    !field.required &&
    (/^advanced\b/i.test(field.description ?? '') || /override|extra ca/i.test(field.label))
  );
}

export const fieldName = (providerId: string, key: string) => `p.${providerId}.${key}`;
export const fieldId = (providerId: string, key: string) =>
  `f-${providerId}-${key}`.replace(/[^A-Za-z0-9_-]/g, '-');

export interface SettingsFormState {
  /** Current values (defaults for a new account); secret values never appear here. */
  readonly values: Readonly<Record<string, unknown>>;
  /** Secret keys that have a stored value. */
  readonly storedSecrets: ReadonlySet<string>;
  /** Issues keyed by setting key. */
  readonly issues: ReadonlyMap<string, ValidationIssue>;
  /** The app's callback URL, shown for the admin to copy into the client registration. */
  readonly redirectUri: string;
}

export function issueText(issue: ValidationIssue): Html {
  return html`<span class="issue-message">${issue.message}</span> <span class="issue-fix">${issue.fix}</span>`;
}

function describedBy(id: string, field: SettingsField, issue: ValidationIssue | undefined): string {
  return [field.description || field.type === 'secret' ? `${id}-help` : '', issue ? `${id}-issue` : '']
    .filter(Boolean)
    .join(' ');
}

function displayValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

/** One field: label, control, help and (when invalid) the issue with its fix. */
export function renderField(
  listing: AuthProviderListing,
  field: SettingsField,
  state: SettingsFormState,
): Html {
  const id = fieldId(listing.id, field.key);
  const name = fieldName(listing.id, field.key);
  const issue = state.issues.get(field.key);
  const value = state.values[field.key];
  const aria = describedBy(id, field, issue);
  const common = html` id="${id}" name="${name}"${aria ? html` aria-describedby="${aria}"` : ''}${issue ? html` aria-invalid="true"` : ''}${field.required && field.type !== 'secret' && field.type !== 'boolean' ? html` required` : ''}`;
  const stored = state.storedSecrets.has(field.key);
  let control: HtmlValue;
  switch (field.type) {
    case 'boolean':
      control = html`<input type="checkbox" value="true"${common}${value === true ? html` checked` : ''}>`;
      break;
    case 'enum':
      control = html`<select${common}>${(field.options ?? []).map(
        (o) =>
          html`<option value="${o.value}"${o.value === value ? html` selected` : ''}>${o.label}</option>`,
      )}</select>`;
      break;
    case 'secret':
      // Write-only: never rendered back. Empty keeps the stored value.
      control = html`<input type="password" autocomplete="new-password" spellcheck="false"${common}${html` placeholder="${stored ? '•••••••• stored — type to replace' : 'not set'}"`}>`;
      break;
    case 'number':
      control = html`<input type="number"${common} value="${displayValue(value)}"${field.min !== undefined ? html` min="${field.min}"` : ''}${field.max !== undefined ? html` max="${field.max}"` : ''}>`;
      break;
    default: {
      const type =
        field.type === 'email'
          ? 'email'
          : field.type === 'url'
            ? 'url'
            : field.type === 'date'
              ? 'date'
              : 'text';
      const multiline = field.key === 'ca' || /PEM/.test(field.label);
      control = multiline
        ? html`<textarea rows="3" spellcheck="false"${common}${field.placeholder ? html` placeholder="${field.placeholder}"` : ''}>${displayValue(value)}</textarea>`
        : html`<input type="${type}" spellcheck="false"${common} value="${displayValue(value)}"${field.placeholder ? html` placeholder="${field.placeholder}"` : ''}>`;
    }
  }
  const help =
    field.type === 'secret'
      ? `${field.description ? `${field.description}. ` : ''}${stored ? 'A value is stored; it is never shown. Leave empty to keep it.' : 'Write-only: the value is stored in the secret store and never shown again.'}`
      : field.type === 'string[]'
        ? `${field.description ?? ''} (comma-separated)`
        : (field.description ?? '');
  const when_ = field.when
    ? html` data-when-key="${fieldName(listing.id, field.when.key)}" data-when-equals="${String(field.when.equals)}"`
    : '';
  return html`<div class="field${issue ? ' invalid' : ''}${field.type === 'boolean' ? ' check' : ''}"${when_}>
<label for="${id}">${field.label}${field.required ? html` <span class="req" aria-hidden="true">*</span><span class="visually-hidden"> (required)</span>` : ''}</label>
${control}
${when(help, () => html`<p class="help" id="${id}-help">${help}</p>`)}
${when(stored && !field.required, () => html`<label class="clear"><input type="checkbox" name="clear.${listing.id}.${field.key}" value="true"> Remove the stored ${field.label.toLowerCase()}</label>`)}
${when(issue, () => html`<p class="issue" id="${id}-issue">${issue ? issueText(issue) : ''}</p>`)}
</div>`;
}

/** The read-only redirect URI with a copy button (the app's callback, not a provider setting). */
export function renderRedirectUri(redirectUri: string, id = 'redirect-uri'): Html {
  return html`<div class="field">
<label for="${id}">Redirect URI (register it on the OAuth client)</label>
<div class="copy-row"><input id="${id}" type="text" readonly value="${redirectUri}" aria-describedby="${id}-help"><button type="button" class="secondary" data-copy="${id}">Copy</button></div>
<p class="help" id="${id}-help">Add exactly this address to the OAuth client's authorized redirect URIs (Google Cloud console → Credentials, or Entra ID → App registrations → Authentication).</p>
</div>`;
}

export interface ProviderFieldsetOptions {
  readonly selected: boolean;
  /** Which fields to draw: the registration dialog draws only those, the account form the rest too. */
  readonly only?: 'registration';
}

/**
 * All fields of one provider. Unselected providers are drawn `hidden` and `disabled` (so they do
 * not submit); the page script swaps them when the sign-in method changes.
 */
export function renderProviderFieldset(
  listing: AuthProviderListing,
  state: SettingsFormState,
  options: ProviderFieldsetOptions,
): Html {
  const fields = listing.settingsSchema.fields.filter((f) => !f.readOnly && f.key !== 'redirectUri');
  const registration = fields.filter((f) => isRegistrationField(listing, f));
  const main = fields.filter((f) => !isRegistrationField(listing, f) && !isAdvancedField(f));
  const advanced = fields.filter((f) => !isRegistrationField(listing, f) && isAdvancedField(f));
  const registrationBlock = html`<fieldset class="registration">
<legend>OAuth client registration</legend>
<p class="help">From the OAuth client you registered for this app at ${listing.label.split(/[ —(]/)[0]}.</p>
${registration.map((f) => renderField(listing, f, state))}
${renderRedirectUri(state.redirectUri, `redirect-uri-${listing.id}`)}
</fieldset>`;
  if (options.only === 'registration') return registrationBlock;
  const attrs = options.selected ? '' : ' hidden disabled';
  return html`<fieldset class="provider" data-provider="${listing.id}" data-protocols="${listing.protocols.join(' ')}"${raw(attrs)}>
<legend>${listing.label}</legend>
${when(listing.description, () => html`<p class="help">${listing.description}</p>`)}
${when(registration.length > 0, () => registrationBlock)}
${main.map((f) => renderField(listing, f, state))}
${when(
  advanced.length > 0,
  () =>
    html`<details${advanced.some((f) => state.issues.has(f.key)) ? html` open` : ''}><summary>Advanced settings</summary>${advanced.map((f) => renderField(listing, f, state))}</details>`,
)}
</fieldset>`;
}

export interface ParsedSettings {
  readonly settings: Record<string, unknown>;
  /** New secret values typed into the form, by setting key. Written only after validation passed. */
  readonly newSecrets: Record<string, string>;
}

/**
 * Reads the provider's fields from a submitted form, typed by the schema. Secret fields become
 * `{ secretRef }` (the name the value is, or will be, stored under); empty keeps the stored one.
 */
export function parseProviderSettings(
  listing: AuthProviderListing,
  form: URLSearchParams,
  existing: Readonly<Record<string, unknown>>,
  secretName: (key: string) => string,
  only?: 'registration',
): ParsedSettings {
  const settings: Record<string, unknown> = {};
  const newSecrets: Record<string, string> = {};
  for (const field of listing.settingsSchema.fields) {
    if (field.key === 'redirectUri' || field.readOnly) continue;
    if (only === 'registration' && !isRegistrationField(listing, field)) {
      if (existing[field.key] !== undefined) settings[field.key] = existing[field.key];
      continue;
    }
    const raw = form.get(fieldName(listing.id, field.key));
    switch (field.type) {
      case 'secret': {
        const cleared = form.get(`clear.${listing.id}.${field.key}`) === 'true';
        if (raw) {
          newSecrets[field.key] = raw;
          settings[field.key] = { secretRef: secretName(field.key) };
        } else if (!cleared && isSecretRef(existing[field.key])) {
          settings[field.key] = existing[field.key];
        }
        break;
      }
      case 'boolean':
        settings[field.key] = raw === 'true';
        break;
      case 'number':
        if (raw !== null && raw.trim() !== '') settings[field.key] = Number(raw);
        break;
      case 'string[]': {
        const list = (raw ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (list.length > 0) settings[field.key] = list;
        break;
      }
      default:
        // Kept as typed: core flags leading/trailing spaces as the copy-paste slip they usually are.
        if (raw !== null && raw !== '')
          settings[field.key] = field.key === 'ca' ? raw.replace(/\r\n/g, '\n') : raw;
    }
  }
  return { settings, newSecrets };
}

/** Issues under `auth.settings.<key>` keyed by `<key>`. */
export function settingsIssues(issues: readonly ValidationIssue[]): Map<string, ValidationIssue> {
  const out = new Map<string, ValidationIssue>();
  for (const issue of issues) {
    const match = /^auth\.settings\.([^.[\]]+)/.exec(issue.path);
    if (match?.[1] && !out.has(match[1])) out.set(match[1], issue);
  }
  return out;
}
