import type { OAuth2Credential } from '@mailplug/core';
import type { GraphCloud } from './graph-clouds.js';

/** Graph's own application id: some tokens name the resource by it instead of its URL. */
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** What a Graph access token says about itself. Never the token. */
export interface TokenFacts {
  /** `aud`, when the token is a readable JWT. */
  readonly audience?: string;
  /** Delegated scopes (`scp`) or, for app-only tokens, application roles (`roles`), short names. */
  readonly permissions: readonly string[];
  /** True for a client-credentials (app-only) token. */
  readonly appOnly: boolean;
}

const shortName = (scope: string) => scope.slice(scope.lastIndexOf('/') + 1);

/**
 * Reads the claims Graph decides on from the token's payload (Entra ID access tokens for Graph
 * are JWTs) — only to explain a refusal or to check a token before "Test connection" sends
 * anything; the signature is Graph's business. Falls back to the credential's `scopes`.
 */
export function tokenFacts(credential: OAuth2Credential): TokenFacts {
  const fromCredential = credential.scopes.map(shortName);
  const payload = credential.accessToken.split('.')[1];
  if (payload) {
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
        aud?: unknown;
        scp?: unknown;
        roles?: unknown;
        idtyp?: unknown;
      };
      const scp = typeof claims.scp === 'string' ? claims.scp.split(' ').filter(Boolean) : [];
      const roles = Array.isArray(claims.roles)
        ? claims.roles.filter((r): r is string => typeof r === 'string')
        : [];
      const appOnly = claims.idtyp === 'app' || (scp.length === 0 && roles.length > 0);
      return {
        ...(typeof claims.aud === 'string' ? { audience: claims.aud } : {}),
        permissions: appOnly ? roles : scp.length > 0 ? scp : fromCredential,
        appOnly,
      };
    } catch {
      // Not a JWT we can read (opaque or encrypted): only the credential's own account.
    }
  }
  return { permissions: fromCredential, appOnly: fromCredential.includes('.default') };
}

/** Whether `audience` names Graph in `cloud` (by URL, with or without a trailing slash, or by app id). */
export function isGraphAudience(audience: string, cloud: GraphCloud): boolean {
  const a = audience.replace(/\/+$/, '').toLowerCase();
  return a === cloud.resource || a === GRAPH_APP_ID;
}
