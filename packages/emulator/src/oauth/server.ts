/**
 * A generic OAuth 2.0 / OpenID Connect authorization server under `/oauth`, written on node:http
 * like the rest of the emulator: metadata (RFC 8414 / OIDC discovery), authorize with PKCE and a
 * consent page, token, revocation (RFC 7009), introspection (RFC 7662), userinfo and JWKS — with
 * switchable quirks and the emulator's fault injection (flavour `oauth`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Injections, normalizeGrant } from '../faults/injections.js';
import type { TestUser } from '../identity/config.js';
import { errorPage, page } from '../identity/consent.js';
import type { HttpReply } from '../identity/errors.js';
import type { IdentityEvents } from '../identity/events.js';
import {
  bearerToken,
  escapeHtml,
  html,
  json,
  readForm,
  redirect,
  redirectUriAllowed,
  sendReply,
  withQuery,
} from '../identity/http.js';
import { jwkOf, newId, type SigningKey } from '../identity/jwt.js';
import {
  DEFAULT_QUIRKS,
  defaultOAuthClients,
  type GenericOAuthOptions,
  normalizeOAuthClient,
  OAUTH_PREFIX,
  type OAuthClientInput,
  type OAuthQuirks,
  splitScopes,
} from './config.js';
import { authenticateClient, newGrantId, newSecret, type OAuthState, runGrant } from './token-endpoint.js';

/** What an access token of the generic server stands for. */
export interface GenericTokenInfo {
  readonly active: boolean;
  readonly clientId?: string;
  readonly username?: string;
  readonly scopes: readonly string[];
  /** Epoch milliseconds. */
  readonly expiresAt?: number;
}

/** Controls of the generic OAuth server (`emulator.oauth`). */
export interface GenericOAuthServer {
  /** Handles `/oauth/...`; resolves false for other paths. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, origin: string): Promise<boolean>;
  readonly quirks: Readonly<OAuthQuirks>;
  /** Merges quirks, e.g. `setQuirks({ errorsWithStatus200: true, scopeSeparator: ',' })`. */
  setQuirks(quirks: Partial<OAuthQuirks>): void;
  setRefreshTokenRotation(rotate: boolean): void;
  addClient(client: OAuthClientInput): void;
  validateAccessToken(token: string): GenericTokenInfo;
  /** Marks refresh tokens (optionally of one user) expired; returns how many. */
  expireRefreshTokens(email?: string): number;
}

export interface GenericOAuthDeps {
  readonly key: SigningKey;
  readonly injections: Injections;
  readonly events: IdentityEvents;
  readonly users: () => readonly TestUser[];
  /** Same rule as the identity half: a user picked without a page, or undefined. */
  readonly autoApprovedUser: (loginHint?: string) => TestUser | undefined;
  readonly findUser: (email: string | undefined) => TestUser | undefined;
  readonly now: () => number;
}

interface Pending {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly explicitRedirect: boolean;
  readonly scopes: readonly string[];
  readonly state?: string;
  readonly codeChallenge?: string;
  readonly nonce?: string;
}

export function metadata(issuer: string, quirks: OAuthQuirks): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    ...(quirks.revocation === 'unsupported' ? {} : { revocation_endpoint: `${issuer}/revoke` }),
    introspection_endpoint: `${issuer}/introspect`,
    userinfo_endpoint: `${issuer}/userinfo`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    scopes_supported: ['openid', 'email', 'profile', 'offline_access'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    authorization_response_iss_parameter_supported: true,
  };
}

export function createGenericOAuthServer(
  options: GenericOAuthOptions,
  deps: GenericOAuthDeps,
): GenericOAuthServer {
  const state: OAuthState = {
    codes: new Map(),
    tokens: new Map(),
    clients: (options.clients ?? defaultOAuthClients()).map(normalizeOAuthClient),
    quirks: { ...DEFAULT_QUIRKS, ...options.quirks },
    rotateRefreshTokens: options.rotateRefreshTokens ?? true,
    requirePkce: options.requirePkce ?? true,
    lifetimes: { accessToken: 3600, refreshToken: 30 * 86400, authorizationCode: 600, ...options.lifetimes },
    key: deps.key,
    now: deps.now,
    findClient: (id) => (id ? state.clients.find((c) => c.clientId === id) : undefined),
    revokeGrant(grantId) {
      for (const t of state.tokens.values()) if (t.grantId === grantId) t.revoked = true;
    },
  };
  const pending = new Map<string, Pending>();
  const record = (
    kind:
      | 'grant'
      | 'grant-refused'
      | 'sign-in'
      | 'revoked'
      | 'injected-error'
      | 'consent-denied'
      | 'introspection',
    e: Record<string, unknown>,
  ) => deps.events.record({ kind, flavour: 'oauth', ...e });

  function lookup(token: string) {
    const rec = state.tokens.get(token);
    const active = !!rec && !rec.revoked && !rec.used && rec.expiresAt > state.now();
    return { rec, active };
  }

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
    return redirect(withQuery(p.redirectUri, { code, state: p.state, iss: currentIssuer }));
  }

  let currentIssuer = '';

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
          iss: currentIssuer,
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
        withQuery(p.redirectUri, { error: 'access_denied', state: p.state, iss: currentIssuer }),
      );
    }
    const user = deps.findUser(form.get('user') ?? undefined);
    if (!user) return errorPage('Unknown account', 'Pick one of the listed test users.');
    return issueCode(p, user, txn);
  }

  function token(req: IncomingMessage, form: URLSearchParams): HttpReply {
    const auth = authenticateClient(state, req, form);
    const grant = normalizeGrant(form.get('grant_type'));
    const peek =
      state.tokens.get(form.get('refresh_token') ?? '')?.user ??
      state.codes.get(form.get('code') ?? '')?.user;
    const injected = deps.injections.take('oauth', {
      endpoint: 'token',
      clientIds: [auth.ok ? auth.client.clientId : auth.clientId],
      user: peek?.email,
      grant,
    });
    if (injected.reply) {
      record('injected-error', {
        grant,
        clientId: auth.ok ? auth.client.clientId : auth.clientId,
        user: peek?.email,
        detail: `token: ${injected.label}`,
      });
      return injected.reply;
    }
    const refuse = (reply: HttpReply): HttpReply => {
      const body = reply.body as { error: string };
      record('grant-refused', {
        grant,
        clientId: auth.ok ? auth.client.clientId : auth.clientId,
        user: peek?.email,
        error: body.error,
      });
      return state.quirks.errorsWithStatus200 ? { ...reply, status: 200 } : reply;
    };
    if (!auth.ok) return refuse(auth.reply);
    const outcome = runGrant({ state, issuer: currentIssuer, client: auth.client, form });
    if (!outcome.ok)
      return refuse(json(400, { error: outcome.error, error_description: outcome.description }));
    record('grant', {
      grant,
      clientId: auth.client.clientId,
      user: outcome.user?.email,
      scopes: outcome.scopes,
    });
    return json(200, outcome.body);
  }

  function revoke(req: IncomingMessage, form: URLSearchParams): HttpReply {
    if (state.quirks.revocation === 'unsupported') return json(404, { error: 'not_found' });
    const auth = authenticateClient(state, req, form);
    if (!auth.ok) return auth.reply;
    const injected = deps.injections.take('oauth', { endpoint: 'revoke', clientIds: [auth.client.clientId] });
    if (injected.reply) return injected.reply;
    if (state.quirks.revocation === 'fails')
      return json(
        503,
        { error: 'temporarily_unavailable', error_description: 'Revocation is unavailable.' },
        { 'retry-after': '30' },
      );
    if (state.quirks.revocation === 'ignored') return json(200, {});
    const rec = state.tokens.get(form.get('token') ?? '');
    // RFC 7009 §2.2: an unknown or already invalid token is answered 200 all the same.
    if (!rec) return json(200, {});
    if (rec.clientId !== auth.client.clientId)
      return json(400, {
        error: 'unauthorized_client',
        error_description: 'The token was issued to another client.',
      });
    if (rec.kind === 'refresh') state.revokeGrant(rec.grantId);
    else rec.revoked = true;
    record('revoked', { clientId: rec.clientId, user: rec.user?.email, detail: rec.kind });
    return json(200, {});
  }

  function introspect(req: IncomingMessage, form: URLSearchParams): HttpReply {
    const auth = authenticateClient(state, req, form);
    if (!auth.ok || auth.client.clientSecret === undefined)
      return json(
        401,
        {
          error: 'invalid_client',
          error_description: 'Introspection needs an authenticated confidential client.',
        },
        { 'www-authenticate': 'Basic realm="oauth"' },
      );
    const injected = deps.injections.take('oauth', {
      endpoint: 'introspect',
      clientIds: [auth.client.clientId],
    });
    if (injected.reply) return injected.reply;
    const { rec, active } = lookup(form.get('token') ?? '');
    record('introspection', {
      clientId: auth.client.clientId,
      user: rec?.user?.email,
      detail: active ? 'active' : 'inactive',
    });
    if (!rec || !active) return json(200, { active: false });
    return json(200, {
      active: true,
      scope: rec.scopes.join(' '),
      client_id: rec.clientId,
      ...(rec.user ? { username: rec.user.email, sub: rec.user.id } : { sub: rec.clientId }),
      token_type: rec.kind === 'access' ? 'Bearer' : 'refresh_token',
      exp: rec.expiresAt,
      iat: rec.issuedAt,
      iss: currentIssuer,
    });
  }

  function userinfo(req: IncomingMessage): HttpReply {
    const value = bearerToken(req) ?? '';
    const { rec, active } = lookup(value);
    const injected = deps.injections.take('oauth', {
      endpoint: 'userinfo',
      clientIds: [rec?.clientId],
      user: rec?.user?.email,
    });
    if (injected.reply) return injected.reply;
    if (!rec || !active || rec.kind !== 'access' || !rec.user)
      return json(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    if (!rec.scopes.includes('openid'))
      return json(
        403,
        { error: 'insufficient_scope' },
        { 'www-authenticate': 'Bearer error="insufficient_scope", scope="openid"' },
      );
    return json(200, {
      sub: rec.user.id,
      email: rec.user.email,
      email_verified: true,
      name: rec.user.displayName,
      preferred_username: rec.user.email,
    });
  }

  const ENDPOINTS: Record<string, string> = {
    authorize: 'authorize',
    token: 'token',
    revoke: 'revoke',
    introspect: 'introspect',
    userinfo: 'userinfo',
  };

  return {
    async handle(req, res, url, origin) {
      const path = url.pathname;
      const wellKnownRoot = path === `/.well-known/oauth-authorization-server${OAUTH_PREFIX}`;
      if (!wellKnownRoot && path !== OAUTH_PREFIX && !path.startsWith(`${OAUTH_PREFIX}/`)) return false;
      currentIssuer = `${origin}${OAUTH_PREFIX}`;
      const sub = wellKnownRoot ? '/.well-known/oauth-authorization-server' : path.slice(OAUTH_PREFIX.length);
      let form = new URLSearchParams();
      try {
        if (req.method === 'POST') form = await readForm(req);
      } catch {
        sendReply(
          res,
          json(400, { error: 'invalid_request', error_description: 'The request body could not be read.' }),
        );
        return true;
      }
      const endpoint = ENDPOINTS[sub.slice(1)] ?? sub;
      const clientId = form.get('client_id') ?? url.searchParams.get('client_id') ?? undefined;
      const transport = deps.injections.takeTransport('oauth', {
        endpoint,
        clientIds: [clientId],
        grant: normalizeGrant(form.get('grant_type')),
      });
      if (transport.delayMs > 0) await sleep(transport.delayMs);
      if (transport.reply) {
        record('injected-error', { clientId, detail: `${endpoint}: ${transport.label}` });
        sendReply(res, transport.reply);
        return true;
      }
      sendReply(res, route(req, sub, url, form));
      return true;
    },
    get quirks() {
      return state.quirks;
    },
    setQuirks(quirks) {
      state.quirks = { ...state.quirks, ...quirks };
    },
    setRefreshTokenRotation(rotate) {
      state.rotateRefreshTokens = rotate;
    },
    addClient(client) {
      const c = normalizeOAuthClient(client);
      const i = state.clients.findIndex((x) => x.clientId === c.clientId);
      if (i >= 0) state.clients.splice(i, 1, c);
      else state.clients.push(c);
    },
    validateAccessToken(token) {
      const { rec, active } = lookup(token);
      if (!rec || rec.kind !== 'access') return { active: false, scopes: [] };
      return {
        active,
        clientId: rec.clientId,
        username: rec.user?.email,
        scopes: [...rec.scopes],
        expiresAt: rec.expiresAt * 1000,
      };
    },
    expireRefreshTokens(email) {
      let n = 0;
      for (const [value, t] of state.tokens) {
        if (t.kind === 'refresh' && !t.revoked && (!email || t.user?.email === email.toLowerCase())) {
          state.tokens.set(value, { ...t, expiresAt: 0 });
          n += 1;
        }
      }
      return n;
    },
  };

  function route(req: IncomingMessage, sub: string, url: URL, form: URLSearchParams): HttpReply {
    switch (sub) {
      case '/.well-known/openid-configuration':
      case '/.well-known/oauth-authorization-server':
        return json(200, metadata(currentIssuer, state.quirks));
      case '/jwks':
        return json(200, { keys: [jwkOf(state.key)] });
      case '/authorize':
        return req.method === 'POST' ? decide(form) : authorize(url);
      case '/token':
        return req.method === 'POST'
          ? token(req, form)
          : json(405, { error: 'invalid_request', error_description: 'Use POST.' });
      case '/revoke':
        return req.method === 'POST'
          ? revoke(req, form)
          : json(405, { error: 'invalid_request', error_description: 'Use POST.' });
      case '/introspect':
        return req.method === 'POST'
          ? introspect(req, form)
          : json(405, { error: 'invalid_request', error_description: 'Use POST.' });
      case '/userinfo':
        return userinfo(req);
      default:
        return json(404, { error: 'not_found', error_description: `Nothing at ${OAUTH_PREFIX}${sub}.` });
    }
  }
}
