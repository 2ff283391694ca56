/**
 * The generic server's token services: revocation (RFC 7009, with the `revocation` quirk),
 * introspection (RFC 7662) and OIDC userinfo.
 */
import type { IncomingMessage } from 'node:http';
import type { HttpReply } from '../identity/errors.js';
import { bearerToken, json } from '../identity/http.js';
import { lookupToken, type OAuthContext } from './context.js';
import { authenticateClient } from './token-endpoint.js';

export function createTokenServices(ctx: OAuthContext) {
  const { state, deps, record } = ctx;
  const lookup = (token: string) => lookupToken(state, token);

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
      iss: ctx.issuer(),
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

  return { revoke, introspect, userinfo };
}
