import type { AuthorizationStatus, AuthProviderListing, ProtocolListing } from '@mailplug/core';
import type { AccountStatus } from '@mailplug/outbox';
import type { AdminUser, MailServerRecord } from '../admin-config.js';
import { type Html, html, when } from '../html.js';
import type { DeviceCodeRun } from '../sign-in.js';
import {
  csrfField,
  errorBlock,
  formatDateTime,
  layout,
  type PageContext,
  scopeBadge,
  stateBadge,
} from './layout.js';

export interface AccountRow {
  readonly record: MailServerRecord;
  readonly status: AuthorizationStatus;
  readonly provider?: AuthProviderListing;
  readonly protocol?: ProtocolListing;
}

export function renderAccountTable(
  rows: readonly AccountRow[],
  users: readonly AdminUser[],
  caption: string,
): Html {
  if (rows.length === 0) return html`<p class="empty">No accounts yet.</p>`;
  return html`<table class="accounts">
<caption>${caption}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Server</th><th scope="col">Sign-in method</th><th scope="col">Used by</th><th scope="col">State</th></tr></thead>
<tbody>${rows.map(
    ({ record, status, provider, protocol }) => html`<tr data-account="${record.account.id}">
<th scope="row"><a href="/accounts/${record.account.id}">${record.account.label ?? record.account.id}</a>${when(record.description, () => html`<br><span class="muted">${record.description}</span>`)}</th>
<td>${protocol?.label ?? record.account.protocol} · ${record.account.server.host}:${record.account.server.port} · ${record.account.server.security.toUpperCase()}</td>
<td>${provider?.label ?? record.account.auth.provider}</td>
<td>${scopeBadge(record.account.scope, users)}</td>
<td>${stateBadge(status)}${when(status.identity, () => html`<br><span class="muted">${status.identity?.mailbox}</span>`)}</td>
</tr>`,
  )}</tbody></table>`;
}

export function renderAccountsPage(
  ctx: PageContext,
  rows: readonly AccountRow[],
  users: readonly AdminUser[],
): Html {
  return layout(
    { ...ctx, section: '/accounts' },
    'Mail accounts',
    html`<p>Outgoing mail servers (SMTP) for the organization, each user and the system's own notifications. The state comes from each account's live authorization check.</p>
<p><a class="button" href="/accounts/new">Add mail account</a></p>
${renderAccountTable(rows, users, 'Outgoing mail accounts')}`,
  );
}

/** Brand word for the sign-in button: "Sign in with Google", "Sign in with Microsoft". */
export function brandOf(listing: AuthProviderListing): string {
  return listing.label.split(/[\s(—]/)[0] || listing.label;
}

export interface AccountDetailView {
  readonly row: AccountRow;
  readonly users: readonly AdminUser[];
  readonly deviceRun?: DeviceCodeRun;
  /** The account's mail in the outbox (send accounts). */
  readonly outbox?: AccountStatus;
  /** Label of the fallback route's protocol, from the registry. */
  readonly fallbackLabel?: string;
}

function outboxPanel(status: AccountStatus | undefined): Html {
  if (!status) return html``;
  const { counts } = status;
  const waiting = counts.queued + counts.sending + counts.deferred;
  return html`<p id="account-outbox" data-held="${counts.held}">${
    status.hold
      ? html`<strong class="badge state-bad">Mail held</strong> ${counts.held} message${counts.held === 1 ? '' : 's'} wait${counts.held === 1 ? 's' : ''} for a new sign-in: sign in again to release ${counts.held === 1 ? 'it' : 'them'}.`
      : html`Outbox: ${waiting} waiting, ${counts.failed} failed, ${counts.sent} sent.`
  } <a href="/outbox">Open the Outbox</a></p>`;
}

function authorizationPanel(status: AuthorizationStatus): Html {
  return html`<dl class="facts" id="authorization">
<dt>State</dt><dd>${stateBadge(status)}</dd>
<dt>Mailbox</dt><dd id="auth-mailbox">${status.identity?.mailbox ?? '—'}${when(status.identity?.displayName, () => html` (${status.identity?.displayName})`)}</dd>
${when(status.identity?.tenantId, () => html`<dt>Tenant / domain</dt><dd>${status.identity?.tenantId}</dd>`)}
<dt>Scopes</dt><dd>${status.grantedScopes.length ? html`<ul class="scopes">${status.grantedScopes.map((s) => html`<li><code>${s}</code></li>`)}</ul>` : '—'}</dd>
${when(status.accessTokenExpiresAt !== undefined, () => html`<dt>Access token expires</dt><dd>${formatDateTime(status.accessTokenExpiresAt ?? 0)}</dd>`)}
${when(status.authorizationExpiresAt !== undefined, () => html`<dt>Authorization expires</dt><dd>${formatDateTime(status.authorizationExpiresAt ?? 0)}</dd>`)}
</dl>
${when(status.error, () => (status.error ? errorBlock(status.error) : ''))}`;
}

function deviceCodePanel(ctx: PageContext, accountId: string, run: DeviceCodeRun | undefined): Html {
  if (!run) return html``;
  const finished = run.status === 'done' || run.status === 'failed';
  const live = html`<div class="device-code" id="device-code" data-status="${run.status}"${finished ? '' : html` data-events="/accounts/${accountId}/device-code/events"`} aria-live="polite">
${when(run.status === 'starting', () => html`<p>Asking Microsoft for a code…</p>`)}
${when(run.prompt && run.status === 'waiting', () => html`<p>On any device, open <a href="${run.prompt?.verificationUri}" target="_blank" rel="noopener noreferrer" id="device-uri">${run.prompt?.verificationUri}</a> and enter the code <strong class="user-code" id="device-user-code">${run.prompt?.userCode}</strong>.</p><p class="muted">${run.prompt?.message}</p>`)}
${when(run.status === 'done', () => html`<p class="ok-text">Signed in as ${run.identity?.mailbox}.</p>`)}
${when(run.status === 'failed' && run.error, () => (run.error ? errorBlock(run.error) : ''))}
</div>`;
  void ctx;
  return live;
}

export function renderAccountDetail(ctx: PageContext, view: AccountDetailView): Html {
  const { record, status, provider, protocol } = view.row;
  const { account } = record;
  const id = account.id;
  const interactive = provider?.capabilities.interactive === true;
  const deviceCode = provider?.capabilities.deviceCode === true;
  const send = protocol?.direction !== 'receive';
  const actingUsers =
    account.scope.kind === 'organization'
      ? view.users
      : account.scope.kind === 'user'
        ? view.users.filter((u) => account.scope.kind === 'user' && u.id === account.scope.owner)
        : [];
  const body = html`<p class="badges">${scopeBadge(account.scope, view.users)} ${stateBadge(status)}${when(protocol?.deprecated, () => html` <span class="badge state-warn">Deprecated</span>`)}</p>
${when(record.description, () => html`<p>${record.description}</p>`)}
<section aria-labelledby="server-h"><h2 id="server-h">Mail server</h2>
<dl class="facts">
<dt>Protocol</dt><dd>${protocol?.label ?? account.protocol}</dd>
<dt>Host</dt><dd>${account.server.host}</dd>
<dt>Port</dt><dd>${account.server.port}</dd>
<dt>Connection security</dt><dd>${account.server.security.toUpperCase()}</dd>
<dt>Timeout</dt><dd>${account.server.timeoutSeconds ?? 120} s</dd>
${when(account.fallback, () => html`<dt>Fallback route</dt><dd id="fallback-route">${view.fallbackLabel ?? account.fallback?.protocol} · ${account.fallback?.server.host}:${account.fallback?.server.port} <span class="muted">(used only when ${protocol?.label ?? account.protocol} is switched off for the mailbox)</span></dd>`)}
<dt>Authentication method</dt><dd>${provider?.label ?? account.auth.provider}</dd>
${when(account.identity, () => html`<dt>From</dt><dd>${account.identity?.displayName ? `${account.identity.displayName} <${account.identity.fromAddress}>` : account.identity?.fromAddress}</dd>`)}
</dl>
<p><a class="button secondary" href="/accounts/${id}/edit">Edit</a></p>
</section>
<section aria-labelledby="auth-h"><h2 id="auth-h">Authorization</h2>
${authorizationPanel(status)}
<div class="actions">
<form method="post" action="/accounts/${id}/check">${csrfField(ctx)}<button type="submit" id="check-authorization">Check Authorization</button></form>
${when(
  interactive && provider,
  () => html`<a class="button" id="sign-in" href="/accounts/${id}/sign-in?csrf=${encodeURIComponent(ctx.csrfToken)}">Sign in with ${provider ? brandOf(provider) : ''}</a>
<a class="button secondary" id="registration" href="/accounts/${id}/registration">OAuth client registration…</a>`,
)}
${when(deviceCode, () => html`<form method="post" action="/accounts/${id}/device-code">${csrfField(ctx)}<button type="submit" class="secondary" id="device-code-start">Sign in with a code (device code)</button></form>`)}
${when(interactive || deviceCode, () => html`<form method="post" action="/accounts/${id}/sign-out">${csrfField(ctx)}<button type="submit" class="secondary" id="sign-out">Sign out</button></form>`)}
</div>
${deviceCodePanel(ctx, id, view.deviceRun)}
</section>
<section aria-labelledby="test-h"><h2 id="test-h">Test connection</h2>
<form method="post" action="/accounts/${id}/test" id="test-form" data-events="/accounts/${id}/test/events">${csrfField(ctx)}<button type="submit" id="test-connection">Test connection</button></form>
<ol class="checklist" id="checklist" aria-live="polite"></ol>
<div id="routes"></div>
<p class="test-result" id="test-result" role="status"></p>
<p class="test-summary" id="test-summary"></p>
</section>
${when(
  send,
  () => html`<section aria-labelledby="send-h"><h2 id="send-h">Send test email</h2>
${outboxPanel(view.outbox)}
<form method="post" action="/accounts/${id}/send-test" class="inline-form">${csrfField(ctx)}
<div class="field"><label for="test-to">To</label><input id="test-to" name="to" type="email" required autocomplete="email"></div>
${when(
  actingUsers.length > 0,
  () =>
    html`<div class="field"><label for="test-as">Send as user</label><select id="test-as" name="actingUser">${actingUsers.map((u) => html`<option value="${u.id}">${u.name}</option>`)}</select></div>`,
)}
${when(account.scope.kind !== 'system' && actingUsers.length === 0, () => html`<p class="muted">Add users on the Users &amp; permissions screen to send as one of them.</p>`)}
<button type="submit" id="send-test">Send test email</button>
</form></section>`,
)}
<section aria-labelledby="danger-h"><h2 id="danger-h">Remove</h2>
<form method="post" action="/accounts/${id}/delete">${csrfField(ctx)}<button type="submit" class="danger" id="delete">Delete this account</button></form>
<p class="help">Signs the account out first (revoking the grant where the provider can), then forgets its tokens and stored secrets.</p>
</section>`;
  return layout({ ...ctx, section: send ? '/accounts' : '/incoming' }, account.label ?? id, body);
}
