import type { ValidationIssue } from '@mailplug/core';
import { type Html, html } from '../html.js';
import { csrfField, layout, type PageContext } from './layout.js';

export function renderTransfer(ctx: PageContext, issues: readonly ValidationIssue[] = [], text = ''): Html {
  const body = html`<section aria-labelledby="export-h"><h2 id="export-h">Export</h2>
<p>Accounts, users and the footer as JSON. Secrets are never exported: secret settings stay references to the secret store, and anything that looks like a password or token is left out.</p>
<p><a class="button" href="/export.json" download="mailplug-email-setup.json" id="export">Download export</a></p></section>
<section aria-labelledby="import-h"><h2 id="import-h">Import</h2>
<p>Every account is validated first; if anything is wrong, nothing is imported. Accounts with the same name are replaced. Enter secrets again on each imported account.</p>
${issues.length ? html`<div class="flash error" role="alert"><p class="flash-title">Nothing was imported: ${issues.length} problem${issues.length === 1 ? '' : 's'}</p><ul>${issues.map((i) => html`<li><strong>${i.path}:</strong> ${i.message} ${i.fix}</li>`)}</ul></div>` : ''}
<form method="post" action="/import">${csrfField(ctx)}
<div class="field"><label for="import-file">Export file</label><input type="file" id="import-file" accept="application/json,.json" data-fill="import-json"></div>
<div class="field"><label for="import-json">Or paste the JSON</label><textarea id="import-json" name="json" rows="8" spellcheck="false">${text}</textarea></div>
<button type="submit" id="import">Import</button></form></section>`;
  return layout({ ...ctx, section: '/transfer' }, 'Export / import', body);
}
