/**
 * The sign-in + consent page shared by both flavours, its form handler, and the device-code
 * verification page. A person picks a test user, sees the requested scopes (Google: may untick
 * them — granular consent) and approves or denies; tests use `autoApprove` or post the form.
 */

import type { TestUser } from './config.js';
import { AADSTS, type HttpReply } from './errors.js';
import { escapeHtml, html, redirect, withQuery } from './http.js';
import type { IdentityState, PendingAuthorization } from './state.js';

const STYLE = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
fieldset{border:1px solid #ccc;border-radius:6px;margin:1rem 0}button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}
.muted{color:#666;font-size:.9rem}code{background:#f3f3f3;padding:0 .2rem}`;

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export function errorPage(title: string, message: string, status = 400): HttpReply {
  return html(status, page(title, `<h1>${escapeHtml(title)}</h1><p id="error">${escapeHtml(message)}</p>`));
}

export function renderConsentPage(state: IdentityState, p: PendingAuthorization): HttpReply {
  const provider = p.flavour === 'microsoft' ? 'Microsoft (emulated)' : 'Google (emulated)';
  const hint = state.findUser(p.loginHint)?.email;
  const users = state.config.users
    .map((u, i) => {
      const checked = hint ? u.email === hint : i === 0;
      return `<label><input type="radio" name="user" value="${escapeHtml(u.email)}"${checked ? ' checked' : ''}> ${escapeHtml(u.displayName)} &lt;${escapeHtml(u.email)}&gt;</label><br>`;
    })
    .join('');
  const scopes = p.scopes
    .map((s) =>
      p.granular
        ? `<label><input type="checkbox" name="scope" value="${escapeHtml(s)}" checked> <code>${escapeHtml(s)}</code></label><br>`
        : `<input type="hidden" name="scope" value="${escapeHtml(s)}"><code>${escapeHtml(s)}</code><br>`,
    )
    .join('');
  return html(
    200,
    page(
      `Sign in — ${provider}`,
      `<h1>Sign in to ${escapeHtml(p.clientName)}</h1><p class="muted">${provider} · client <code>${escapeHtml(p.clientId)}</code></p>
<form method="post" action="/consent"><input type="hidden" name="txn" value="${escapeHtml(p.id)}">
<fieldset><legend>Account</legend>${users}</fieldset>
<fieldset><legend>${escapeHtml(p.clientName)} wants to</legend>${scopes}</fieldset>
<button type="submit" name="decision" value="approve" id="approve">Accept</button>
<button type="submit" name="decision" value="deny" id="deny">Cancel</button></form>`,
    ),
  );
}

/** Issues the authorization code for an approved sign-in and builds the redirect back to the app. */
export function approve(
  state: IdentityState,
  p: PendingAuthorization,
  user: TestUser,
  scopes: readonly string[],
): HttpReply {
  const code = state.randomToken(p.flavour === 'google' ? '4/0A' : '1.A', 48);
  state.codes.set(code, {
    flavour: p.flavour,
    clientId: p.clientId,
    tenant: p.tenant,
    redirectUri: p.redirectUri,
    user,
    scopes,
    nonce: p.nonce,
    codeChallenge: p.codeChallenge,
    offline: p.offline,
    expiresAt: state.now() + state.config.lifetimes.authorizationCode,
    redeemed: false,
  });
  state.pending.delete(p.id);
  state.events.record({
    kind: 'sign-in',
    flavour: p.flavour,
    clientId: p.clientId,
    user: user.email,
    scopes,
  });
  const params: Record<string, string | undefined> = { code, state: p.state };
  if (p.flavour === 'microsoft') params.session_state = state.randomToken('', 12);
  else params.scope = scopes.join(' ');
  return redirect(withQuery(p.redirectUri, params));
}

export function deny(state: IdentityState, p: PendingAuthorization, user?: string): HttpReply {
  state.pending.delete(p.id);
  state.events.record({
    kind: 'consent-denied',
    flavour: p.flavour,
    clientId: p.clientId,
    user,
    error: 'access_denied',
  });
  const params: Record<string, string | undefined> = { error: 'access_denied', state: p.state };
  if (p.flavour === 'microsoft') params.error_description = `AADSTS65004: ${AADSTS[65004]?.text}`;
  return redirect(withQuery(p.redirectUri, params));
}

export function handleConsentPost(state: IdentityState, form: URLSearchParams): HttpReply {
  const p = state.pending.get(form.get('txn') ?? '');
  if (!p)
    return errorPage(
      'Sign-in expired',
      'This sign-in request is unknown or was already completed. Start again from the application.',
    );
  const email = form.get('user') ?? undefined;
  if (form.get('decision') !== 'approve') return deny(state, p, email);
  const user = state.findUser(email);
  if (!user) return errorPage('Unknown account', 'Pick one of the listed test users.');
  const ticked = new Set(form.getAll('scope'));
  const granted = p.granular ? p.scopes.filter((s) => ticked.has(s)) : p.scopes;
  return approve(state, p, user, granted);
}

export function renderDeviceLoginPage(state: IdentityState, userCode = '', message = ''): HttpReply {
  const users = state.config.users
    .map(
      (u, i) =>
        `<label><input type="radio" name="user" value="${escapeHtml(u.email)}"${i === 0 ? ' checked' : ''}> ${escapeHtml(u.email)}</label><br>`,
    )
    .join('');
  return html(
    200,
    page(
      'Enter code',
      `<h1>Enter code</h1>${message ? `<p id="message">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/devicelogin"><label>Code <input name="user_code" value="${escapeHtml(userCode)}" autocomplete="off"></label>
<fieldset><legend>Account</legend>${users}</fieldset>
<button type="submit" name="decision" value="approve" id="approve">Continue</button>
<button type="submit" name="decision" value="deny" id="deny">Cancel</button></form>`,
    ),
  );
}

/** Approves (or denies) a pending device code; returns a message for the page, or throws nothing. */
export function decideDeviceCode(
  state: IdentityState,
  userCode: string,
  email: string | undefined,
  approveIt: boolean,
): { ok: boolean; message: string } {
  const record = [...state.deviceCodes.values()].find((d) => d.userCode === userCode.trim().toUpperCase());
  if (record?.status !== 'pending')
    return { ok: false, message: 'That code is unknown or was already used.' };
  if (record.expiresAt <= state.now())
    return { ok: false, message: 'That code has expired. Start again on your device.' };
  if (!approveIt) {
    record.status = 'denied';
    return { ok: true, message: 'Sign-in cancelled. You can close this window.' };
  }
  const user = state.findUser(email) ?? (email ? undefined : state.config.users[0]);
  if (!user) return { ok: false, message: 'Pick one of the listed test users.' };
  record.status = 'approved';
  record.user = user;
  state.events.record({
    kind: 'device-code-approved',
    flavour: 'microsoft',
    clientId: record.clientId,
    user: user.email,
    scopes: record.scopes,
  });
  return { ok: true, message: `Signed in as ${user.email}. You can close this window.` };
}

export function handleDeviceLoginPost(state: IdentityState, form: URLSearchParams): HttpReply {
  const result = decideDeviceCode(
    state,
    form.get('user_code') ?? '',
    form.get('user') ?? undefined,
    form.get('decision') === 'approve',
  );
  const reply = renderDeviceLoginPage(state, '', result.message);
  return result.ok ? reply : { ...reply, status: 400 };
}
