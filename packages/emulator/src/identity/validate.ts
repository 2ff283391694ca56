/**
 * Token validation for the mail servers and the RFC 7662 introspection endpoint (Dovecot's
 * `passdb oauth2` with `introspection_mode = post`).
 */
import type { IncomingMessage } from 'node:http';
import type { HttpReply } from './errors.js';
import { GOOGLE_MAIL_SCOPE } from './google.js';
import { basicCredentials, json } from './http.js';
import { decodeJwt, verifyJwtSignature } from './jwt.js';
import type { IdentityState } from './state.js';

/** What an access token stands for, as the emulated provider sees it. */
export interface AccessTokenInfo {
  readonly active: boolean;
  /** The mailbox address of the signed-in user (absent for app-only tokens). */
  readonly username?: string | undefined;
  readonly scopes: string[];
  readonly roles: string[];
  readonly audience?: string | undefined;
  readonly clientId?: string | undefined;
  readonly flavour: 'microsoft' | 'google';
  /** Epoch milliseconds (same unit as the mail servers' `TokenInfo`). */
  readonly expiresAt?: number | undefined;
  readonly appOnly: boolean;
  /** Microsoft tenant (`tid`) the token was issued in. */
  readonly tenantId?: string | undefined;
}

export type ValidateAccessToken = (token: string) => Promise<AccessTokenInfo>;

export type MailProtocolName = 'smtp' | 'imap' | 'pop3';

const MS_DELEGATED: Record<MailProtocolName, string> = {
  smtp: 'SMTP.Send',
  imap: 'IMAP.AccessAsUser.All',
  pop3: 'POP.AccessAsUser.All',
};
const MS_APP: Record<MailProtocolName, string> = {
  smtp: 'SMTP.SendAsApp',
  imap: 'IMAP.AccessAsApp',
  pop3: 'POP.AccessAsApp',
};
const EXCHANGE_AUDIENCES = new Set(['https://outlook.office.com', 'https://outlook.office365.com']);

/**
 * Whether a validated token may be used for a mail protocol: Google needs `https://mail.google.com/`;
 * Microsoft needs an Exchange audience plus the delegated scope or the application role.
 *
 * @example
 * const info = await emulator.identity.validateAccessToken(token);
 * if (!checkMailAccess(info, 'imap').ok) reply('NO [AUTHENTICATIONFAILED]');
 */
export function checkMailAccess(
  info: AccessTokenInfo,
  protocol: MailProtocolName,
): { ok: boolean; reason?: string } {
  if (!info.active) return { ok: false, reason: 'token is not active (unknown, expired or revoked)' };
  if (info.flavour === 'google') {
    return info.scopes.includes(GOOGLE_MAIL_SCOPE)
      ? { ok: true }
      : { ok: false, reason: `scope ${GOOGLE_MAIL_SCOPE} was not granted` };
  }
  if (!info.audience || !EXCHANGE_AUDIENCES.has(info.audience))
    return { ok: false, reason: `audience ${info.audience ?? '(none)'} is not Exchange Online` };
  if (info.appOnly) {
    return info.roles.includes(MS_APP[protocol])
      ? { ok: true }
      : { ok: false, reason: `application permission ${MS_APP[protocol]} is not granted` };
  }
  return info.scopes.includes(MS_DELEGATED[protocol])
    ? { ok: true }
    : { ok: false, reason: `delegated scope ${MS_DELEGATED[protocol]} is not granted` };
}

export function createAccessTokenValidator(state: IdentityState): ValidateAccessToken {
  return async (token) => {
    const jwt = decodeJwt(token);
    if (jwt) {
      const c = jwt.claims;
      const valid = jwt.header.kid === state.key.kid && verifyJwtSignature(jwt, state.key.publicKey);
      const exp = typeof c.exp === 'number' ? c.exp : undefined;
      const appOnly = c.idtyp === 'app';
      return {
        active: valid && exp !== undefined && exp > state.now(),
        username: appOnly ? undefined : String(c.upn ?? c.preferred_username ?? ''),
        scopes: typeof c.scp === 'string' ? c.scp.split(' ').filter(Boolean) : [],
        roles: Array.isArray(c.roles) ? c.roles.map(String) : [],
        audience: typeof c.aud === 'string' ? c.aud : undefined,
        clientId: typeof c.appid === 'string' ? c.appid : undefined,
        flavour: 'microsoft',
        expiresAt: exp === undefined ? undefined : exp * 1000,
        appOnly,
        tenantId: typeof c.tid === 'string' ? c.tid : undefined,
      };
    }
    const rec = state.googleTokens.get(token);
    if (!rec) return { active: false, scopes: [], roles: [], flavour: 'google', appOnly: false };
    return {
      active: !rec.revoked && rec.expiresAt > state.now(),
      username: rec.user?.email ?? rec.serviceAccount?.clientEmail,
      scopes: [...rec.scopes],
      roles: [],
      audience: rec.clientId,
      clientId: rec.clientId,
      flavour: 'google',
      expiresAt: rec.expiresAt * 1000,
      appOnly: !rec.user,
    };
  };
}

function introspectionClientValid(state: IdentityState, id: string, secret: string): boolean {
  const c = state.config;
  return (
    c.introspectionClients.some((x) => x.clientId === id && x.clientSecret === secret) ||
    c.microsoftApps.some((a) => a.clientId === id && a.secrets.some((s) => s.value === secret)) ||
    c.googleClients.some((g) => g.clientId === id && g.clientSecret === secret)
  );
}

/** RFC 7662: `POST /introspect` with `token=`; client authentication by HTTP Basic or form fields. */
export async function handleIntrospection(
  state: IdentityState,
  validate: ValidateAccessToken,
  req: IncomingMessage,
  form: URLSearchParams,
): Promise<HttpReply> {
  const creds = basicCredentials(req) ?? {
    id: form.get('client_id') ?? '',
    secret: form.get('client_secret') ?? '',
  };
  if (!introspectionClientValid(state, creds.id, creds.secret)) {
    return json(
      401,
      { error: 'invalid_client', error_description: 'Client authentication failed.' },
      { 'www-authenticate': 'Basic realm="introspect"' },
    );
  }
  const hit = state.injections.take('microsoft', { endpoint: 'introspect', clientIds: [creds.id] });
  if (hit.reply) return hit.reply;
  const info = await validate(form.get('token') ?? '');
  state.events.record({
    kind: 'introspection',
    flavour: info.flavour,
    clientId: creds.id,
    user: info.username,
    detail: info.active ? 'active' : 'inactive',
  });
  if (!info.active) return json(200, { active: false });
  return json(200, {
    active: true,
    scope: (info.appOnly && info.flavour === 'microsoft' ? info.roles : info.scopes).join(' '),
    ...(info.username ? { username: info.username, email: info.username } : {}),
    aud: info.audience,
    exp: info.expiresAt === undefined ? undefined : Math.floor(info.expiresAt / 1000),
    client_id: info.clientId,
    token_type: 'Bearer',
  });
}
