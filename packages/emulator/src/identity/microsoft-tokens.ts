/**
 * Microsoft identity platform v2 data rules: scope parsing, audiences, client authentication and
 * token minting. Kept apart from the HTTP routes in `microsoft.ts`.
 */
import { createHash } from 'node:crypto';
import type { MicrosoftApp, TestUser } from './config.js';
import { base64url, decodeJwt, newId, signJwt, verifyJwtSignature } from './jwt.js';
import { type IdentityState, tokenTenantFor } from './state.js';

export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const GRAPH = GRAPH_RESOURCE;
const EXCHANGE_HOSTS = new Set(['https://outlook.office.com', 'https://outlook.office365.com']);
/** Permission names that belong to Exchange Online's resource; every other name is Microsoft Graph's. */
const EXCHANGE_PERMISSION = /^(?:SMTP|IMAP|POP|EWS)\.|^full_access_as_app$|^Exchange\./i;

/** Whether a permission (delegated or application) is one of `resource`'s, for `.default` requests. */
export function permissionBelongsTo(permission: string, resource: string): boolean {
  const exchange = EXCHANGE_PERMISSION.test(permission);
  return resource === GRAPH ? !exchange : exchange;
}

export interface ParsedScopes {
  readonly oidc: readonly string[];
  /** The one resource the token is for (Microsoft refuses mixing resources: AADSTS70011). */
  readonly resource: string;
  /** Permission names without the resource prefix, e.g. `SMTP.Send`, `.default`. */
  readonly permissions: readonly string[];
}

export function parseScopes(raw: string | null | undefined): ParsedScopes | { error: 70011; detail: string } {
  const all = (raw ?? '').split(/\s+/).filter(Boolean);
  const oidc: string[] = [];
  const resources = new Set<string>();
  const permissions: string[] = [];
  for (const s of all) {
    if (OIDC_SCOPES.has(s.toLowerCase())) {
      oidc.push(s.toLowerCase());
      continue;
    }
    const i = s.lastIndexOf('/');
    if (s.includes('://') && i > 8) {
      resources.add(canonicalResource(s.slice(0, i)));
      permissions.push(s.slice(i + 1));
    } else {
      resources.add(GRAPH);
      permissions.push(s);
    }
  }
  if (resources.size > 1) {
    return {
      error: 70011,
      detail: `Scopes for more than one resource were requested (${[...resources].join(', ')}).`,
    };
  }
  return { oidc, resource: [...resources][0] ?? GRAPH, permissions };
}

function canonicalResource(r: string): string {
  const lower = r.toLowerCase().replace(/\/$/, '');
  return EXCHANGE_HOSTS.has(lower) ? 'https://outlook.office.com' : lower;
}

/** Delegated tokens for Exchange carry `https://outlook.office.com`; app-only ones `https://outlook.office365.com`. */
export function audienceFor(resource: string, appOnly: boolean): string {
  if (resource === 'https://outlook.office.com')
    return appOnly ? 'https://outlook.office365.com' : 'https://outlook.office.com';
  return resource;
}

/** The delegated permissions a request would get, or the AADSTS65001 refusal. */
export function grantedDelegated(
  app: MicrosoftApp,
  scopes: ParsedScopes,
): string[] | { error: 65001; detail: string } {
  if (scopes.permissions.length === 0) return scopes.resource === GRAPH ? ['User.Read'] : [];
  const granted: string[] = [];
  for (const p of scopes.permissions) {
    if (p === '.default') {
      granted.push(...app.delegatedPermissions.filter((d) => permissionBelongsTo(d, scopes.resource)));
      continue;
    }
    const match = app.delegatedPermissions.find((d) => d.toLowerCase() === p.toLowerCase());
    if (!match)
      return {
        error: 65001,
        detail: `Permission '${p}' has not been consented for application '${app.clientId}'.`,
      };
    granted.push(match);
  }
  return [...new Set(granted)];
}

export type ClientAuthResult = { ok: true } | { ok: false; aadsts: number; detail?: string };

/** Secret or certificate (RFC 7523 client assertion) authentication of a confidential client. */
export function authenticateClient(
  state: IdentityState,
  app: MicrosoftApp,
  form: URLSearchParams,
  tokenUrls: readonly string[],
): ClientAuthResult {
  const assertionType = form.get('client_assertion_type');
  const assertion = form.get('client_assertion');
  const secret = form.get('client_secret');
  if (assertion && assertionType === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
    const jwt = decodeJwt(assertion);
    if (!jwt) return { ok: false, aadsts: 700027, detail: 'The client assertion is not a JWT.' };
    const x5tS256 =
      typeof jwt.header['x5t#S256'] === 'string'
        ? Buffer.from(jwt.header['x5t#S256'], 'base64url').toString('hex')
        : undefined;
    const candidates = app.certificates.filter(
      (c) => !x5tS256 || !c.thumbprintSha256 || c.thumbprintSha256 === x5tS256,
    );
    if (!candidates.some((c) => verifyJwtSignature(jwt, c.publicKeyPem))) {
      return {
        ok: false,
        aadsts: 700027,
        detail: `Client assertion failed signature validation for app '${app.clientId}'.`,
      };
    }
    const { aud, exp, iss, sub, nbf } = jwt.claims;
    const now = state.now();
    if (typeof exp !== 'number' || exp <= now || (typeof nbf === 'number' && nbf > now + 300)) {
      return { ok: false, aadsts: 700024 };
    }
    if (typeof aud !== 'string' || !tokenUrls.some((u) => u.toLowerCase() === aud.toLowerCase())) {
      return {
        ok: false,
        aadsts: 700027,
        detail: `The assertion audience '${String(aud)}' is not the token endpoint.`,
      };
    }
    if (iss !== app.clientId || sub !== app.clientId) {
      return { ok: false, aadsts: 700027, detail: 'The assertion iss and sub must be the client id.' };
    }
    return { ok: true };
  }
  if (secret) {
    const match = app.secrets.find((s) => s.value === secret);
    if (!match) return { ok: false, aadsts: 7000215, detail: `App: '${app.clientId}'.` };
    if (match.expiresAt !== undefined && match.expiresAt <= state.now())
      return { ok: false, aadsts: 7000222, detail: `App: '${app.clientId}'.` };
    return { ok: true };
  }
  return { ok: false, aadsts: 7000218 };
}

export interface MintContext {
  readonly state: IdentityState;
  readonly issuerBase: string;
  readonly app: MicrosoftApp;
}

export function clientInfo(user: TestUser, tid: string): string {
  return base64url(JSON.stringify({ uid: user.id, utid: tid }));
}

/** Access token (+ id token, client_info) for a signed-in user. */
export function mintDelegated(
  ctx: MintContext,
  user: TestUser,
  tenant: string,
  scopes: ParsedScopes,
  permissions: readonly string[],
  nonce?: string,
): Record<string, unknown> {
  const { state, app } = ctx;
  const now = state.now();
  const tid = tokenTenantFor(user, tenant);
  const lifetime = state.config.lifetimes.accessToken;
  const aud = audienceFor(scopes.resource, false);
  const accessToken = signJwt(state.key, {
    aud,
    iss: `${ctx.issuerBase}/${tid}/v2.0`,
    iat: now,
    nbf: now,
    exp: now + lifetime,
    tid,
    oid: user.id,
    sub: pairwiseSub(user, app.clientId),
    upn: user.email,
    unique_name: user.email,
    preferred_username: user.email,
    email: user.email,
    name: user.displayName,
    scp: permissions.join(' '),
    appid: app.clientId,
    azp: app.clientId,
    idtyp: 'user',
    ver: '1.0',
    uti: newId(),
  });
  const response: Record<string, unknown> = {
    token_type: 'Bearer',
    scope: [
      ...permissions.map((p) => (scopes.resource === GRAPH ? p : `${scopes.resource}/${p}`)),
      ...scopes.oidc,
    ].join(' '),
    expires_in: lifetime,
    ext_expires_in: lifetime,
    access_token: accessToken,
    client_info: clientInfo(user, tid),
  };
  if (scopes.oidc.includes('openid')) {
    response.id_token = signJwt(state.key, {
      aud: app.clientId,
      iss: `${ctx.issuerBase}/${tid}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      name: user.displayName,
      oid: user.id,
      preferred_username: user.email,
      email: user.email,
      sub: pairwiseSub(user, app.clientId),
      tid,
      ver: '2.0',
      ...(nonce ? { nonce } : {}),
    });
  }
  if (scopes.oidc.includes('offline_access')) {
    const refresh = state.randomToken('1.AR', 64);
    state.refreshTokens.set(refresh, {
      flavour: 'microsoft',
      clientId: app.clientId,
      tenant,
      user,
      scopes: [...scopes.oidc, ...permissions],
      expiresAt: now + state.config.lifetimes.refreshToken,
    });
    response.refresh_token = refresh;
  }
  return response;
}

/** App-only token for client credentials: `roles` are the app's granted application permissions. */
export function mintAppOnly(ctx: MintContext, tenant: string, resource: string): Record<string, unknown> {
  const { state, app } = ctx;
  const now = state.now();
  const lifetime = state.config.lifetimes.accessToken;
  const roles = app.applicationPermissions.filter((p) => permissionBelongsTo(p, resource));
  const claims: Record<string, unknown> = {
    aud: audienceFor(resource, true),
    iss: `${ctx.issuerBase}/${tenant}/v2.0`,
    iat: now,
    nbf: now,
    exp: now + lifetime,
    tid: tenant,
    oid: servicePrincipalId(app.clientId, tenant),
    sub: servicePrincipalId(app.clientId, tenant),
    appid: app.clientId,
    azp: app.clientId,
    app_displayname: app.displayName,
    idtyp: 'app',
    ver: '1.0',
    uti: newId(),
  };
  if (roles.length > 0) claims.roles = roles;
  return {
    token_type: 'Bearer',
    expires_in: lifetime,
    ext_expires_in: lifetime,
    access_token: signJwt(state.key, claims),
  };
}

/** The Exchange "service principal" object id of an app in a tenant (what Add-MailboxPermission takes). */
export function servicePrincipalId(clientId: string, tenant: string): string {
  const h = createHash('sha256').update(`sp:${clientId}:${tenant}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-9${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function pairwiseSub(user: TestUser, clientId: string): string {
  return createHash('sha256').update(`${user.id}:${clientId}`).digest('base64url').slice(0, 43);
}
