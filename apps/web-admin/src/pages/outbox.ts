/**
 * The Outbox screen: every message by state, per-account counts with the hold ("sign in again to
 * release"), and the host actions — retry, release, cancel — as CSRF-protected POSTs.
 */
import type { MailplugErrorJSON } from '@mailplug/core';
import type { AccountStatus, OutboxMessageStatus, OutboxState } from '@mailplug/outbox';
import type { MailServerRecord } from '../admin-config.js';
import { type Html, html, when } from '../html.js';
import { csrfField, formatDateTime, layout, type PageContext } from './layout.js';

export interface OutboxAccountRow {
  readonly record: MailServerRecord;
  readonly status: AccountStatus;
}

export interface OutboxView {
  readonly accounts: readonly OutboxAccountRow[];
  /** Messages per state, in enqueue order. */
  readonly messages: Readonly<Partial<Record<OutboxState, readonly OutboxMessageStatus[]>>>;
  readonly accountName: (accountId: string) => string;
  /** The label of the route that delivered a sent message, when this process sent it. */
  readonly routeLabel: (message: OutboxMessageStatus) => string | undefined;
  readonly now: number;
}

/** The sections in the order an admin works through them. */
const SECTIONS: readonly (readonly [OutboxState, string, string])[] = [
  ['queued', 'Queued', 'Waiting for the delivery worker.'],
  ['sending', 'Sending', 'Being delivered right now.'],
  [
    'held',
    'Held — sign in again to release',
    'The account needs a new sign-in; its mail waits and goes out once someone signs in again (or an admin releases it).',
  ],
  [
    'deferred',
    'Deferred',
    'A temporary failure or a sending limit; the worker tries again at the time shown.',
  ],
  ['failed', 'Failed', 'Not delivered; each says who must act and how. Retry once the cause is fixed.'],
  ['sent', 'Sent', 'Accepted by the mail server (the most recent ones).'],
  ['cancelled', 'Cancelled', 'Cancelled by an admin; Retry sends one again.'],
];

const COUNTED: readonly OutboxState[] = ['queued', 'held', 'deferred', 'failed', 'sent'];

function errorLines(error: MailplugErrorJSON | undefined): Html {
  if (!error) return html``;
  return html`<p class="outbox-error">${error.message}</p><p class="hint"><strong>What to do:</strong> ${error.hint}</p><p class="code">Code: <code>${error.code}</code></p>`;
}

function actionButton(
  ctx: PageContext,
  action: string,
  label: string,
  target: string,
  css = 'secondary',
): Html {
  return html`<form method="post" action="${action}" class="inline">${csrfField(ctx)}<button type="submit" class="${css}">${label}<span class="visually-hidden"> ${target}</span></button></form>`;
}

function details(view: OutboxView, m: OutboxMessageStatus): Html {
  switch (m.state) {
    case 'queued':
      return m.notBefore > view.now ? html`Due ${formatDateTime(m.notBefore)}` : html`Due now`;
    case 'sending':
      return html`Being delivered now`;
    case 'held':
      return html`${errorLines(m.lastError)}<p><a href="/accounts/${m.accountId}">Sign in again to release</a></p>`;
    case 'deferred':
      return html`<p>Next attempt ${formatDateTime(m.notBefore)}</p>${errorLines(m.lastError)}`;
    case 'failed':
      return errorLines(m.lastError);
    case 'sent': {
      const route = view.routeLabel(m);
      return html`<p>Sent ${m.sentAt !== undefined ? formatDateTime(m.sentAt) : ''}${route ? html` via <strong class="route">${route}</strong>` : ''}</p>${when(m.result?.response, () => html`<p class="muted">${m.result?.response}</p>`)}`;
    }
    default:
      return html`Cancelled`;
  }
}

function actions(ctx: PageContext, m: OutboxMessageStatus): Html {
  const base = `/outbox/messages/${encodeURIComponent(m.id)}`;
  const target = `"${m.subject}"`;
  const retry = actionButton(ctx, `${base}/retry`, m.state === 'deferred' ? 'Retry now' : 'Retry', target);
  const cancel = actionButton(ctx, `${base}/cancel`, 'Cancel', target, 'danger');
  switch (m.state) {
    case 'queued':
    case 'held':
      return cancel;
    case 'deferred':
    case 'failed':
      return html`${retry} ${cancel}`;
    case 'cancelled':
      return retry;
    default:
      return html``;
  }
}

function messageTable(
  ctx: PageContext,
  view: OutboxView,
  state: OutboxState,
  caption: string,
  list: readonly OutboxMessageStatus[],
): Html {
  return html`<table class="outbox" data-state="${state}"><caption class="visually-hidden">${caption}</caption>
<thead><tr><th scope="col">Subject</th><th scope="col">Account</th><th scope="col">Recipients</th><th scope="col">Queued at</th><th scope="col">Attempts</th><th scope="col">Details</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${list.map(
    (m) => html`<tr data-message="${m.id}" data-state="${m.state}">
<th scope="row">${m.subject}</th>
<td><a href="/accounts/${m.accountId}">${view.accountName(m.accountId)}</a></td>
<td>${m.recipients}</td>
<td>${formatDateTime(m.enqueuedAt)}</td>
<td>${m.attempts}</td>
<td class="details">${details(view, m)}</td>
<td class="message-actions">${actions(ctx, m)}</td>
</tr>`,
  )}</tbody></table>`;
}

function accountSummary(ctx: PageContext, view: OutboxView): Html {
  const rows = view.accounts.filter(({ status }) => Object.values(status.counts).some((count) => count > 0));
  if (rows.length === 0) return html`<p class="empty">No mail has gone through the outbox yet.</p>`;
  return html`<table class="outbox-accounts"><caption class="visually-hidden">Messages per account</caption>
<thead><tr><th scope="col">Account</th>${COUNTED.map((s) => html`<th scope="col">${s[0]?.toUpperCase()}${s.slice(1)}</th>`)}<th scope="col">Status</th></tr></thead>
<tbody>${rows.map(({ record, status }) => {
    const id = record.account.id;
    const name = record.account.label ?? id;
    return html`<tr data-account="${id}">
<th scope="row"><a href="/accounts/${id}">${name}</a></th>
${COUNTED.map((s) => html`<td data-count="${s}">${status.counts[s]}</td>`)}
<td class="details">${when(
      status.hold,
      () => html`<p><strong>Held since ${formatDateTime(status.hold?.since ?? 0)}</strong>: sign in again to release.</p>${errorLines(status.hold?.error)}
${when(status.oldestHeld, () => html`<p class="muted">Oldest held message: queued ${formatDateTime(status.oldestHeld?.enqueuedAt ?? 0)}.</p>`)}
<p><a class="button" href="/accounts/${id}">Sign in again</a> ${actionButton(ctx, `/outbox/accounts/${encodeURIComponent(id)}/release`, 'Release now', `the mail of ${name}`)}</p>`,
    )}${when(status.pausedUntil !== undefined && status.pausedUntil > view.now, () => html`<p>Paused until ${formatDateTime(status.pausedUntil ?? 0)} (sending limit or server quota).</p>`)}${when(!status.hold && !(status.pausedUntil !== undefined && status.pausedUntil > view.now), () => html`<span class="muted">Sending</span>`)}</td>
</tr>`;
  })}</tbody></table>`;
}

export function renderOutbox(ctx: PageContext, view: OutboxView): Html {
  const sections = SECTIONS.filter(([state]) => (view.messages[state]?.length ?? 0) > 0);
  const body = html`<p>Every email goes through the outbox: it is stored first, then delivered by a worker that retries temporary failures, holds an account's mail while it needs a new sign-in, and keeps to each mailbox's sending limits.</p>
<section aria-labelledby="outbox-accounts-h"><h2 id="outbox-accounts-h">Messages per account</h2>
${accountSummary(ctx, view)}
</section>
${sections.map(
  ([
    state,
    title,
    help,
  ]) => html`<section aria-labelledby="outbox-${state}-h" id="outbox-${state}"><h2 id="outbox-${state}-h">${title} <span class="count">(${view.messages[state]?.length ?? 0})</span></h2>
<p class="help">${help}</p>
${messageTable(ctx, view, state, title, view.messages[state] ?? [])}
</section>`,
)}`;
  return layout({ ...ctx, section: '/outbox' }, 'Outbox', body);
}
