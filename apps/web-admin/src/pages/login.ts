import { type Html, html } from '../html.js';
import { csrfField, layout, type PageContext } from './layout.js';

export function renderLogin(ctx: PageContext, failed: boolean, next: string): Html {
  const body = html`<p>Enter the admin token printed when the app started.</p>
<form method="post" action="/login" class="login">${csrfField(ctx)}<input type="hidden" name="next" value="${next}">
<div class="field${failed ? ' invalid' : ''}"><label for="token">Admin token</label><input id="token" name="token" type="password" autocomplete="current-password" required${failed ? html` aria-invalid="true" aria-describedby="token-issue"` : ''}>
${failed ? html`<p class="issue" id="token-issue">That is not the admin token. Copy it from the app's start-up output.</p>` : ''}</div>
<button type="submit">Log in</button></form>`;
  return layout(ctx, 'Log in', body);
}

export function renderMessage(ctx: PageContext, title: string, message: Html | string): Html {
  return layout(ctx, title, html`<p>${message}</p><p><a href="/accounts">Back to Mail accounts</a></p>`);
}
