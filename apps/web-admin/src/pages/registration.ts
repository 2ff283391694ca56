import type { AuthProviderListing, ValidationIssue } from '@mailplug/core';
import type { MailServerRecord } from '../admin-config.js';
import { type Html, html } from '../html.js';
import { renderProviderFieldset, settingsIssues } from '../settings-form.js';
import { csrfField, layout, type PageContext } from './layout.js';

export interface RegistrationView {
  readonly record: MailServerRecord;
  readonly provider: AuthProviderListing;
  readonly values: Readonly<Record<string, unknown>>;
  readonly storedSecrets: ReadonlySet<string>;
  readonly issues: readonly ValidationIssue[];
  readonly redirectUri: string;
}

/**
 * "New OAuth2 Client Registration", as the host guides show it: tenant, client id and secret
 * from the identity platform, and the redirect URI to register there.
 */
export function renderRegistration(ctx: PageContext, view: RegistrationView): Html {
  const id = view.record.account.id;
  const other = view.issues.filter((i) => !/^auth\.settings\./.test(i.path));
  const body = html`<div class="dialog" role="dialog" aria-modal="false" aria-labelledby="dialog-h">
<h2 id="dialog-h">OAuth client registration for ${view.record.account.label ?? id}</h2>
<p>Register this app with ${view.provider.label.split(/[\s(—]/)[0]}, then copy its values here. Secrets are write-only.</p>
${other.map((i) => html`<p class="issue" role="alert">${i.path}: ${i.message} ${i.fix}</p>`)}
<form method="post" action="/accounts/${id}/registration">${csrfField(ctx)}
${renderProviderFieldset(
  view.provider,
  {
    values: view.values,
    storedSecrets: view.storedSecrets,
    issues: settingsIssues(view.issues),
    redirectUri: view.redirectUri,
  },
  { selected: true, only: 'registration' },
)}
<div class="actions"><button type="submit" id="registration-save">OK</button> <a class="button secondary" href="/accounts/${id}">Cancel</a></div>
</form></div>`;
  return layout({ ...ctx, section: '/accounts' }, 'OAuth client registration', body);
}
