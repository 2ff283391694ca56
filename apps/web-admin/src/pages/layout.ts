import type { AccountScope, AuthorizationStatus, MailplugErrorJSON } from '@mailplug/core';
import type { AdminUser } from '../admin-config.js';
import { type Html, type HtmlValue, html, when } from '../html.js';
import type { Flash } from '../http/web-sessions.js';

export interface PageContext {
  readonly csrfToken: string;
  readonly flash: readonly Flash[];
  /** Path of the current section, for `aria-current` in the navigation. */
  readonly section?: string;
  readonly authenticated: boolean;
}

const NAV: readonly [string, string][] = [
  ['/accounts', 'Mail accounts'],
  ['/outbox', 'Outbox'],
  ['/incoming', 'Incoming mail'],
  ['/users', 'Users & permissions'],
  ['/footer', 'Footer'],
  ['/transfer', 'Export / import'],
];

export function csrfField(ctx: Pick<PageContext, 'csrfToken'>): Html {
  return html`<input type="hidden" name="csrf" value="${ctx.csrfToken}">`;
}

function renderFlash(flash: Flash): Html {
  const role = flash.kind === 'error' ? 'alert' : 'status';
  return html`<div class="flash ${flash.kind}" role="${role}">
<p class="flash-title">${flash.title}</p>
${when(flash.text, () => html`<p>${flash.text}</p>`)}
${when(flash.hint, () => html`<p class="hint"><strong>What to do:</strong> ${flash.hint}</p>`)}
${when(flash.code, () => html`<p class="code">Code: <code>${flash.code}</code></p>`)}
</div>`;
}

export function layout(ctx: PageContext, title: string, body: HtmlValue): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — Setup → Email</title>
<link rel="stylesheet" href="/assets/admin.css">
<script src="/assets/admin.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<p class="brand">Setup <span aria-hidden="true">→</span><span class="visually-hidden">, </span> Email</p>
${when(
  ctx.authenticated,
  () => html`<nav aria-label="Email setup"><ul>${NAV.map(
    ([href, label]) =>
      html`<li><a href="${href}"${ctx.section === href ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )}</ul></nav>
<form method="post" action="/logout" class="logout">${csrfField(ctx)}<button type="submit" class="link">Log out</button></form>`,
)}
</header>
<main id="main">
<h1>${title}</h1>
${ctx.flash.map(renderFlash)}
${body}
</main>
</body>
</html>`;
}

export function scopeLabel(scope: AccountScope, users: readonly AdminUser[] = []): string {
  if (scope.kind === 'organization') return 'Organization';
  if (scope.kind === 'system') return 'System';
  const owner = users.find((u) => u.id === scope.owner);
  return `User: ${owner?.name ?? scope.owner}`;
}

export function scopeBadge(scope: AccountScope, users: readonly AdminUser[] = []): Html {
  return html`<span class="badge scope-${scope.kind}">${scopeLabel(scope, users)}</span>`;
}

/** Authorization state as admins read it; "expiring soon" when the grant or secret ends within 14 days. */
export const EXPIRING_SOON_MS = 14 * 24 * 60 * 60_000;

export function stateLabel(status: AuthorizationStatus, now = Date.now()): { label: string; css: string } {
  switch (status.state) {
    case 'authorized':
      if (
        status.authorizationExpiresAt !== undefined &&
        status.authorizationExpiresAt - now < EXPIRING_SOON_MS
      ) {
        return { label: `Expiring soon (${formatDate(status.authorizationExpiresAt)})`, css: 'warn' };
      }
      return { label: 'Authorized', css: 'ok' };
    case 'signInRequired':
      return { label: 'Sign-in required', css: 'todo' };
    case 'reauthRequired':
      return { label: 'Re-authorization required', css: 'bad' };
    case 'temporarilyUnavailable':
      // An outage at the identity platform or the network, never a configuration problem.
      return { label: 'Temporarily unavailable — try again later', css: 'warn' };
    default:
      return { label: 'Misconfigured', css: 'bad' };
  }
}

export function stateBadge(status: AuthorizationStatus): Html {
  const { label, css } = stateLabel(status);
  return html`<span class="badge state-${css}" data-state="${status.state}">${label}</span>`;
}

export function formatDate(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

export function formatDateTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function errorBlock(error: Pick<MailplugErrorJSON, 'message' | 'hint' | 'code'>): Html {
  return html`<div class="error-detail"><p>${error.message}</p><p class="hint"><strong>What to do:</strong> ${error.hint}</p><p class="code">Code: <code>${error.code}</code></p></div>`;
}
