/**
 * Add / edit a mail server record: name, description, protocol and server (the port stays
 * editable whatever the security mode), From identity, who it belongs to, then the sign-in
 * method chosen from what the registry lists, with that provider's generated settings form.
 */
import {
  type AuthProviderListing,
  DEFAULT_TIMEOUT_SECONDS,
  type MailAccount,
  type ProtocolListing,
  type Security,
  type ValidationIssue,
} from '@mailplug/core';
import type { AdminUser, MailServerRecord } from '../admin-config.js';
import { type Html, html, when } from '../html.js';
import {
  issueText,
  parseProviderSettings,
  renderProviderFieldset,
  settingsIssues,
} from '../settings-form.js';
import { csrfField, layout, type PageContext } from './layout.js';

export interface AccountFormValues {
  readonly name: string;
  readonly description: string;
  readonly protocol: string;
  readonly host: string;
  readonly port: string;
  readonly security: string;
  readonly timeoutSeconds: string;
  readonly caFile: string;
  readonly allowInsecureAuth: boolean;
  readonly fromAddress: string;
  readonly displayName: string;
  /** `organization`, `system` or `user:<id>`. */
  readonly scope: string;
  readonly provider: string;
  /** `identity.acceptAnySignInMailbox`: a sign-in may be for another mailbox (shared mailbox, alias). */
  readonly acceptAnySignInMailbox: boolean;
  /** The fallback route's protocol id, or '' for none. */
  readonly fallbackProtocol: string;
  readonly fallbackHost: string;
  readonly fallbackPort: string;
  readonly fallbackSecurity: string;
  readonly fallbackCaFile: string;
  /** Per provider id: that provider's current setting values. */
  readonly providerValues: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export interface AccountFormView {
  readonly mode: 'new' | 'edit';
  readonly direction: 'send' | 'receive';
  readonly action: string;
  readonly values: AccountFormValues;
  readonly issues: readonly ValidationIssue[];
  /** Secret keys with a stored value, for the account's current provider. */
  readonly storedSecrets: ReadonlySet<string>;
  readonly providers: readonly AuthProviderListing[];
  readonly protocols: readonly ProtocolListing[];
  readonly users: readonly AdminUser[];
  readonly redirectUri: string;
  /** Pre-filled server per fallback protocol id (host, port, security). */
  readonly fallbackServers: Readonly<Record<string, ServerPreset>>;
}

export interface ServerPreset {
  readonly host: string;
  readonly port: number;
  readonly security: Security;
  readonly caFile?: string;
}

const SECURITY: readonly [Security, string][] = [
  ['starttls', 'STARTTLS (upgrade after connecting)'],
  ['tls', 'SSL/TLS (encrypted from the start)'],
  ['none', 'None (unencrypted)'],
];

export function valuesFromRecord(record: MailServerRecord): AccountFormValues {
  const { account } = record;
  return {
    name: account.label ?? account.id,
    description: record.description ?? '',
    protocol: account.protocol,
    host: account.server.host,
    port: String(account.server.port),
    security: account.server.security,
    timeoutSeconds: String(account.server.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS),
    caFile: account.server.caFile ?? '',
    allowInsecureAuth: account.allowInsecureAuth === true,
    fromAddress: account.identity?.fromAddress ?? '',
    displayName: account.identity?.displayName ?? '',
    scope: account.scope.kind === 'user' ? `user:${account.scope.owner}` : account.scope.kind,
    provider: account.auth.provider,
    acceptAnySignInMailbox: account.identity?.acceptAnySignInMailbox === true,
    fallbackProtocol: account.fallback?.protocol ?? '',
    fallbackHost: account.fallback?.server.host ?? '',
    fallbackPort: account.fallback ? String(account.fallback.server.port) : '',
    fallbackSecurity: account.fallback?.server.security ?? 'tls',
    fallbackCaFile: account.fallback?.server.caFile ?? '',
    providerValues: { [account.auth.provider]: account.auth.settings },
  };
}

function fieldIssue(issues: readonly ValidationIssue[], ...paths: string[]): ValidationIssue | undefined {
  return issues.find((i) => paths.some((p) => i.path === p || i.path.startsWith(`${p}.`)));
}

interface InputSpec {
  readonly id: string;
  readonly name: string;
  readonly label: string;
  readonly value: string;
  readonly type?: string;
  readonly required?: boolean;
  readonly help?: string;
  readonly issue?: ValidationIssue | undefined;
  readonly extra?: Html;
}

function input(spec: InputSpec): Html {
  const describedBy = [spec.help ? `${spec.id}-help` : '', spec.issue ? `${spec.id}-issue` : '']
    .filter(Boolean)
    .join(' ');
  return html`<div class="field${spec.issue ? ' invalid' : ''}">
<label for="${spec.id}">${spec.label}${spec.required ? html` <span class="req" aria-hidden="true">*</span><span class="visually-hidden"> (required)</span>` : ''}</label>
<input id="${spec.id}" name="${spec.name}" type="${spec.type ?? 'text'}" value="${spec.value}"${spec.required ? html` required` : ''}${describedBy ? html` aria-describedby="${describedBy}"` : ''}${spec.issue ? html` aria-invalid="true"` : ''}${spec.extra ?? ''}>
${when(spec.help, () => html`<p class="help" id="${spec.id}-help">${spec.help}</p>`)}
${when(spec.issue, () => html`<p class="issue" id="${spec.id}-issue">${spec.issue ? issueText(spec.issue) : ''}</p>`)}
</div>`;
}

function select(
  id: string,
  name: string,
  label: string,
  options: readonly (readonly [string, string, Html?])[],
  value: string,
  issue?: ValidationIssue,
  help?: string,
): Html {
  const describedBy = [help ? `${id}-help` : '', issue ? `${id}-issue` : ''].filter(Boolean).join(' ');
  return html`<div class="field${issue ? ' invalid' : ''}">
<label for="${id}">${label}</label>
<select id="${id}" name="${name}"${describedBy ? html` aria-describedby="${describedBy}"` : ''}${issue ? html` aria-invalid="true"` : ''}>${options.map(
    ([v, l, attrs]) =>
      html`<option value="${v}"${v === value ? html` selected` : ''}${attrs ?? ''}>${l}</option>`,
  )}</select>
${when(help, () => html`<p class="help" id="${id}-help">${help}</p>`)}
${when(issue, () => html`<p class="issue" id="${id}-issue">${issue ? issueText(issue) : ''}</p>`)}
</div>`;
}

/**
 * A second send route used only when the first is switched off for the mailbox (SMTP AUTH off,
 * basic authentication retired). Offered when the registry lists another send protocol, e.g.
 * Microsoft Graph or the Gmail API.
 */
function fallbackFieldset(view: AccountFormView, sendProtocols: readonly ProtocolListing[]): Html {
  if (sendProtocols.length < 2) return html``;
  const { values, issues } = view;
  const options: (readonly [string, string, Html?])[] = [
    ['', 'None'],
    ...sendProtocols.map((p) => {
      const preset = view.fallbackServers[p.id];
      const port = preset?.port ?? p.defaultPorts.tls;
      return [
        p.id,
        p.label,
        html` data-host="${preset?.host ?? ''}" data-port="${port ?? ''}" data-security="${preset?.security ?? 'tls'}" data-ca-file="${preset?.caFile ?? ''}"`,
      ] as const;
    }),
  ];
  const none = values.fallbackProtocol === '';
  return html`<fieldset id="fallback"><legend>Fallback route</legend>
${select(
  'fallbackProtocol',
  'fallbackProtocol',
  'Fallback',
  options,
  values.fallbackProtocol,
  fieldIssue(issues, 'fallback.protocol', 'fallback.auth'),
  'Used only when the first route is switched off for this mailbox (SMTP AUTH off, basic authentication retired) — never for a temporary failure. The sign-in method must support it.',
)}
<div id="fallback-server"${none ? html` hidden` : ''}>
${input({ id: 'fallbackHost', name: 'fallbackHost', label: 'Fallback host', value: values.fallbackHost, help: 'e.g. graph.microsoft.com or gmail.googleapis.com.', issue: fieldIssue(issues, 'fallback.server.host') })}
${select('fallbackSecurity', 'fallbackSecurity', 'Fallback connection security', SECURITY, values.fallbackSecurity || 'tls', fieldIssue(issues, 'fallback.server.security'))}
${input({ id: 'fallbackPort', name: 'fallbackPort', label: 'Fallback port', type: 'number', value: values.fallbackPort, issue: fieldIssue(issues, 'fallback.server.port'), extra: html` min="1" max="65535"` })}
${input({ id: 'fallbackCaFile', name: 'fallbackCaFile', label: 'Fallback extra CA certificate file (PEM path)', value: values.fallbackCaFile, help: 'Only for a gateway or proxy whose certificate is not publicly trusted.', issue: fieldIssue(issues, 'fallback.server.caFile') })}
</div>
</fieldset>`;
}

export function renderAccountForm(ctx: PageContext, view: AccountFormView, title: string): Html {
  const { values, issues } = view;
  const protocols = view.protocols.filter((p) => p.direction === view.direction);
  const providers = view.providers.filter((p) =>
    p.protocols.some((id) => protocols.some((q) => q.id === id)),
  );
  const byProvider = settingsIssues(issues);
  const summary = issues.length
    ? html`<div class="flash error" role="alert" tabindex="-1" id="issues"><p class="flash-title">${issues.length} thing${issues.length === 1 ? '' : 's'} to fix before saving</p><ul>${issues.map(
        (i) => html`<li><strong>${i.path || 'account'}:</strong> ${i.message} ${i.fix}</li>`,
      )}</ul><p>Secret fields are never sent back to the browser: type them again if you changed them.</p></div>`
    : '';
  const scopes: [string, string][] = [
    ['organization', 'Organization (practice, shared)'],
    ['system', "System — the host's own notifications"],
    ...view.users.map((u): [string, string] => [`user:${u.id}`, `User: ${u.name}`]),
  ];
  const body = html`${summary}
<form method="post" action="${view.action}" class="account-form" novalidate>
${csrfField(ctx)}
<fieldset><legend>Mail server</legend>
${input({ id: 'name', name: 'name', label: 'Name', value: values.name, required: true, help: 'What admins call this server, e.g. "Gmail" or "Microsoft Outlook".', issue: fieldIssue(issues, 'label') })}
${input({ id: 'description', name: 'description', label: 'Description', value: values.description, help: 'Optional, e.g. "Account settings for Gmail".' })}
${select(
  'protocol',
  'protocol',
  'Protocol',
  protocols.map(
    (p) =>
      [
        p.id,
        `${p.label}${p.deprecated ? ' (deprecated)' : ''}`,
        html` data-default-ports="${JSON.stringify(p.defaultPorts)}"`,
      ] as const,
  ),
  values.protocol,
  fieldIssue(issues, 'protocol'),
)}
${input({ id: 'host', name: 'host', label: 'Host', value: values.host, required: true, help: 'The server name only, e.g. smtp.gmail.com or smtp.office365.com.', issue: fieldIssue(issues, 'server.host') })}
${select('security', 'security', 'Connection security', SECURITY, values.security, fieldIssue(issues, 'server.security'))}
${input({ id: 'port', name: 'port', label: 'Port', type: 'number', value: values.port, required: true, help: 'Any port works with any security mode; changing the security suggests its usual port.', issue: fieldIssue(issues, 'server.port'), extra: html` min="1" max="65535"` })}
${input({ id: 'timeout', name: 'timeoutSeconds', label: 'Timeout (seconds)', type: 'number', value: values.timeoutSeconds, help: 'Connection, greeting and socket timeout; 120 by default.', issue: fieldIssue(issues, 'server.timeoutSeconds'), extra: html` min="1" max="3600"` })}
<details${fieldIssue(issues, 'server.caFile', 'allowInsecureAuth') ? html` open` : ''}><summary>Advanced server settings</summary>
${input({ id: 'caFile', name: 'caFile', label: 'Extra CA certificate file (PEM path)', value: values.caFile, help: 'Only for private servers whose certificate is not publicly trusted.', issue: fieldIssue(issues, 'server.caFile') })}
<div class="field check"><label for="allowInsecureAuth">Allow sign-in over an unencrypted connection</label><input type="checkbox" id="allowInsecureAuth" name="allowInsecureAuth" value="true"${values.allowInsecureAuth ? html` checked` : ''} aria-describedby="allowInsecureAuth-help"><p class="help" id="allowInsecureAuth-help">OAuth is only ever allowed unencrypted towards this machine (loopback).</p></div>
</details>
</fieldset>
${when(
  view.direction === 'send',
  () => html`<fieldset><legend>Sender</legend>
${input({ id: 'fromAddress', name: 'fromAddress', label: 'From address', type: 'email', value: values.fromAddress, required: true, help: 'The mailbox mail is sent from; a sign-in must be for this mailbox.', issue: fieldIssue(issues, 'identity.fromAddress') })}
${input({ id: 'displayName', name: 'displayName', label: 'Display name', value: values.displayName, help: 'The name recipients see, e.g. the practice name.', issue: fieldIssue(issues, 'identity.displayName') })}
<div class="field check"><label for="acceptAnySignInMailbox">Accept a sign-in as another mailbox (shared mailbox or alias)</label><input type="checkbox" id="acceptAnySignInMailbox" name="acceptAnySignInMailbox" value="true"${values.acceptAnySignInMailbox ? html` checked` : ''} aria-describedby="acceptAnySignInMailbox-help"><p class="help" id="acceptAnySignInMailbox-help">Off by default: a sign-in as anyone but the From address is refused before anything is stored. Turn it on for a shared mailbox or an alias the signed-in user sends as.</p></div>
</fieldset>
${fallbackFieldset(view, protocols)}`,
)}
<fieldset><legend>Who uses it</legend>
${select('scope', 'scope', view.direction === 'send' ? 'Send email for' : 'Receive email for', scopes, values.scope, fieldIssue(issues, 'scope'))}
</fieldset>
<fieldset><legend>Sign-in method</legend>
${select(
  'provider',
  'provider',
  'Authentication method',
  providers.map((p) => [p.id, p.label, html` data-protocols="${p.protocols.join(' ')}"`] as const),
  values.provider,
  fieldIssue(issues, 'auth.provider'),
  'Read from the installed adapters without loading them; the settings below change with the method.',
)}
${providers.map((p) =>
  renderProviderFieldset(
    p,
    {
      values: values.providerValues[p.id] ?? defaultsOf(p),
      storedSecrets: p.id === values.provider ? view.storedSecrets : new Set(),
      issues: p.id === values.provider ? byProvider : new Map(),
      redirectUri: view.redirectUri,
    },
    { selected: p.id === values.provider },
  ),
)}
</fieldset>
<div class="actions"><button type="submit">Save</button> <a class="button secondary" href="${view.direction === 'send' ? '/accounts' : '/incoming'}">Cancel</a></div>
</form>`;
  return layout({ ...ctx, section: view.direction === 'send' ? '/accounts' : '/incoming' }, title, body);
}

export function defaultsOf(listing: AuthProviderListing): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of listing.settingsSchema.fields) if (f.default !== undefined) out[f.key] = f.default;
  return out;
}

export interface ParsedAccountForm {
  readonly values: AccountFormValues;
  readonly record: MailServerRecord;
  readonly newSecrets: Record<string, string>;
}

/** Builds the record exactly as submitted; core's `validateAccount` then says what is wrong. */
export function parseAccountForm(
  form: URLSearchParams,
  options: {
    readonly id: string;
    readonly direction: 'send' | 'receive';
    readonly providers: readonly AuthProviderListing[];
    readonly existing?: MailServerRecord;
    /** The account key: the existing record's, or `createAccountKey()` for a new account. */
    readonly key?: string;
    readonly secretName: (accountId: string, key: string) => string;
  },
): ParsedAccountForm {
  const text = (name: string) => form.get(name) ?? '';
  const providerId = text('provider');
  const listing = options.providers.find((p) => p.id === providerId);
  const existingSettings =
    options.existing?.account.auth.provider === providerId ? options.existing.account.auth.settings : {};
  const parsed = listing
    ? parseProviderSettings(listing, form, existingSettings, (key) => options.secretName(options.id, key))
    : { settings: {}, newSecrets: {} };
  const scopeValue = text('scope');
  const scope: MailAccount['scope'] = scopeValue.startsWith('user:')
    ? { kind: 'user', owner: scopeValue.slice(5) }
    : scopeValue === 'system'
      ? { kind: 'system' }
      : { kind: 'organization' };
  const number = (name: string) => (text(name).trim() === '' ? Number.NaN : Number(text(name)));
  const timeout = text('timeoutSeconds').trim() === '' ? undefined : number('timeoutSeconds');
  const fromAddress = text('fromAddress').trim();
  const acceptAnySignInMailbox = form.get('acceptAnySignInMailbox') === 'true';
  const fallbackProtocol = options.direction === 'send' ? text('fallbackProtocol') : '';
  const fallback: MailAccount['fallback'] = fallbackProtocol
    ? {
        protocol: fallbackProtocol,
        server: {
          host: text('fallbackHost').trim(),
          port: number('fallbackPort'),
          security: (text('fallbackSecurity') || 'tls') as Security,
          ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
          ...(text('fallbackCaFile').trim() ? { caFile: text('fallbackCaFile').trim() } : {}),
        },
      }
    : undefined;
  const account: MailAccount = {
    id: options.id,
    ...(options.key ? { key: options.key } : {}),
    label: text('name').trim(),
    protocol: text('protocol'),
    server: {
      host: text('host'),
      port: number('port'),
      security: text('security') as Security,
      ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
      ...(text('caFile').trim() ? { caFile: text('caFile').trim() } : {}),
    },
    auth: { provider: providerId, settings: parsed.settings },
    ...(options.direction === 'send'
      ? {
          identity: {
            fromAddress,
            ...(text('displayName').trim() ? { displayName: text('displayName').trim() } : {}),
            ...(acceptAnySignInMailbox ? { acceptAnySignInMailbox: true } : {}),
          },
        }
      : {}),
    scope,
    ...(fallback ? { fallback } : {}),
    ...(form.get('allowInsecureAuth') === 'true' ? { allowInsecureAuth: true } : {}),
  };
  const record: MailServerRecord = {
    account,
    ...(text('description').trim() ? { description: text('description').trim() } : {}),
  };
  const values: AccountFormValues = {
    name: text('name'),
    description: text('description'),
    protocol: text('protocol'),
    host: text('host'),
    port: text('port'),
    security: text('security'),
    timeoutSeconds: text('timeoutSeconds'),
    caFile: text('caFile'),
    allowInsecureAuth: form.get('allowInsecureAuth') === 'true',
    fromAddress: text('fromAddress'),
    displayName: text('displayName'),
    scope: scopeValue,
    provider: providerId,
    acceptAnySignInMailbox,
    fallbackProtocol,
    fallbackHost: text('fallbackHost'),
    fallbackPort: text('fallbackPort'),
    fallbackSecurity: text('fallbackSecurity'),
    fallbackCaFile: text('fallbackCaFile'),
    providerValues: { [providerId]: withoutSecrets(listing, parsed.settings) },
  };
  return { values, record, newSecrets: parsed.newSecrets };
}

function withoutSecrets(
  listing: AuthProviderListing | undefined,
  settings: Record<string, unknown>,
): Record<string, unknown> {
  const secret = new Set(listing?.settingsSchema.fields.filter((f) => f.type === 'secret').map((f) => f.key));
  return Object.fromEntries(Object.entries(settings).filter(([k]) => !secret.has(k)));
}

/** App-level checks core does not know about (the record's name). */
export function recordIssues(record: MailServerRecord): ValidationIssue[] {
  return record.account.label
    ? []
    : [
        {
          path: 'label',
          message: 'The mail server has no name.',
          fix: 'Enter a name admins recognise, e.g. "Gmail".',
        },
      ];
}
