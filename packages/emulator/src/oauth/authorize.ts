/**
 * The generic server's authorization endpoint: request checks (client, redirect URI, PKCE S256,
 * allowed scopes), auto-approval or a consent page, and the code issued on approval (with `iss`,
 * RFC 9207).
 */
import type { TestUser } from '../identity/config.js';
import { errorPage, page } from '../identity/consent.js';
import type { HttpReply } from '../identity/errors.js';
import { escapeHtml, html, redirect, redirectUriAllowed, withQuery } from '../identity/http.js';
import { newId } from '../identity/jwt.js';
import { OAUTH_PREFIX, splitScopes } from './config.js';
import type { OAuthContext } from './context.js';
import { newGrantId, newSecret } from './token-endpoint.js';

interface Pending {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly explicitRedirect: boolean;
  readonly scopes: readonly string[];
  readonly state?: string | undefined;
  readonly codeChallenge?: string | undefined;
  readonly nonce?: string | undefined;
}

export function createAuthorizeEndpoint(ctx: OAuthContext) {
  const { state, deps, record } = ctx;
  const pending = new Map<string, Pending>();

  function issueCode(p: Pending, user: TestUser, txn?: string): HttpReply {
    if (txn) pending.delete(txn);
    const code = newSecret('gac_');
    state.codes.set(code, {
      clientId: p.clientId,
      user,
      scopes: p.scopes,
      redirectUri: p.explicitRedirect ? p.redirectUri : undefined,
      codeChallenge: p.codeChallenge,
      nonce: p.nonce,
      expiresAt: state.now() + state.lifetimes.authorizationCode,
      grantId: newGrantId(),
      used: false,
    });
    record('sign-in', { clientId: p.clientId, user: user.email, scopes: p.scopes });
    return redirect(withQuery(p.redirectUri, { code, state: p.state, iss: ctx.issuer() }));
  }

  function authorize(url: URL): HttpReply {
    const q = url.searchParams;
    const client = state.findClient(q.get('client_id') ?? undefined);
    if (!client) return errorPage('Unknown client', `No client '${q.get('client_id') ?? ''}' is registered.`);
    const explicit = q.get('redirect_uri');
    const redirectUri = explicit ?? client.redirectUris[0] ?? '';
    if (!redirectUriAllowed(client.redirectUris, redirectUri))
      return errorPage(
        'Redirect URI mismatch',
        `The redirect URI '${redirectUri}' is not registered for this client.`,
      );
    const back = (error: string, description: string) =>
      redirect(
        withQuery(redirectUri, {
          error,
          error_description: description,
          state: q.get('state') ?? undefined,
          iss: ctx.issuer(),
        }),
      );
    const injected = deps.injections.take('oauth', {
      endpoint: 'authorize',
      clientIds: [client.clientId],
      user: q.get('login_hint') ?? undefined,
    });
    if (injected.reply) {
      const body = injected.reply.body as { error?: string; error_description?: string } | undefined;
      record('injected-error', {
        clientId: client.clientId,
        error: body?.error,
        detail: `authorize: ${injected.label}`,
      });
      return back(body?.error ?? 'server_error', body?.error_description ?? 'Injected failure.');
    }
    if (q.get('response_type') !== 'code')
      return back('unsupported_response_type', 'Only response_type=code is supported.');
    if (!client.grants.includes('authorization_code'))
      return back('unauthorized_client', 'The client may not use the authorization code grant.');
    const challenge = q.get('code_challenge') ?? undefined;
    if (challenge && q.get('code_challenge_method') !== 'S256')
      return back('invalid_request', 'code_challenge_method must be S256.');
    if (!challenge && (client.clientSecret === undefined || state.requirePkce))
      return back('invalid_request', 'code_challenge (PKCE, S256) is required.');
    const scopes = splitScopes(q.get('scope'));
    const denied = client.scopes ? scopes.filter((s) => !client.scopes?.includes(s)) : [];
    if (denied.length > 0)
      return back('invalid_scope', `Scopes not allowed for this client: ${denied.join(' ')}.`);
    const p: Pending = {
      clientId: client.clientId,
      redirectUri,
      explicitRedirect: explicit !== null,
      scopes,
      state: q.get('state') ?? undefined,
      codeChallenge: challenge,
      nonce: q.get('nonce') ?? undefined,
    };
    const auto = deps.autoApprovedUser(q.get('login_hint') ?? undefined);
    if (auto) return issueCode(p, auto);
    if (q.get('prompt') === 'none') return back('login_required', 'No user is signed in.');
    const txn = newId();
    pending.set(txn, p);
    return consentPage(txn, p);
  }

  function consentPage(txn: string, p: Pending): HttpReply {
    const users = deps
      .users()
      .map(
        (u, i) =>
          `<label><input type="radio" name="user" value="${escapeHtml(u.email)}"${i === 0 ? ' checked' : ''}> ${escapeHtml(u.email)}</label><br>`,
      )
      .join('');
    const scopes = p.scopes.map((s) => `<code>${escapeHtml(s)}</code>`).join(' ');
    return html(
      200,
      page(
        'Sign in — OAuth provider (emulated)',
        `<h1>Sign in to ${escapeHtml(p.clientId)}</h1><p>Requested: ${scopes || '(no scopes)'}</p>
<form method="post" action="${OAUTH_PREFIX}/authorize"><input type="hidden" name="txn" value="${escapeHtml(txn)}">
<fieldset><legend>Account</legend>${users}</fieldset>
<button type="submit" name="decision" value="approve" id="approve">Allow</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button></form>`,
      ),
    );
  }

  function decide(form: URLSearchParams): HttpReply {
    const txn = form.get('txn') ?? '';
    const p = pending.get(txn);
    if (!p) return errorPage('Sign-in expired', 'This sign-in request is unknown or was already completed.');
    if (form.get('decision') !== 'approve') {
      pending.delete(txn);
      record('consent-denied', { clientId: p.clientId, error: 'access_denied' });
      return redirect(
        withQuery(p.redirectUri, { error: 'access_denied', state: p.state, iss: ctx.issuer() }),
      );
    }
    const user = deps.findUser(form.get('user') ?? undefined);
    if (!user) return errorPage('Unknown account', 'Pick one of the listed test users.');
    return issueCode(p, user, txn);
  }

  return { authorize, decide };
}
