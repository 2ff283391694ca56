/**
 * A generic OAuth 2.0 / OpenID Connect authorization server under `/oauth`, written on node:http
 * like the rest of the emulator: metadata (RFC 8414 / OIDC discovery), authorize with PKCE and a
 * consent page, token, revocation (RFC 7009), introspection (RFC 7662), userinfo and JWKS — with
 * switchable quirks and the emulator's fault injection (flavour `oauth`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { normalizeGrant } from '../faults/injections.js';
import type { HttpReply } from '../identity/errors.js';
import { json, readForm, sendReply } from '../identity/http.js';
import { jwkOf } from '../identity/jwt.js';
import { createAuthorizeEndpoint } from './authorize.js';
import {
  DEFAULT_QUIRKS,
  defaultOAuthClients,
  type GenericOAuthOptions,
  normalizeOAuthClient,
  OAUTH_PREFIX,
  type OAuthClientInput,
  type OAuthQuirks,
} from './config.js';
import { type GenericOAuthDeps, lookupToken, type OAuthContext } from './context.js';
import { authenticateClient, type OAuthState, runGrant } from './token-endpoint.js';
import { createTokenServices } from './token-services.js';

export type { GenericOAuthDeps };

/** What an access token of the generic server stands for. */
export interface GenericTokenInfo {
  readonly active: boolean;
  readonly clientId?: string;
  readonly username?: string | undefined;
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
  let currentIssuer = '';
  const ctx: OAuthContext = {
    state,
    deps,
    issuer: () => currentIssuer,
    record: (kind, fields) => deps.events.record({ kind, flavour: 'oauth', ...fields }),
  };
  const { record } = ctx;
  const lookup = (token: string) => lookupToken(state, token);
  const { authorize, decide } = createAuthorizeEndpoint(ctx);
  const { revoke, introspect, userinfo } = createTokenServices(ctx);

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
      if (rec?.kind !== 'access') return { active: false, scopes: [] };
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
