import { timingSafeEqual } from 'node:crypto';
import { normaliseMailbox } from './store.js';
import type { MailProtocolName, MailServersOptions, TokenInfo } from './types.js';

export const GOOGLE_MAIL_SCOPE = 'https://mail.google.com/';

/** Delegated scope / application role Exchange Online requires per protocol. */
const MICROSOFT_PERMISSIONS: Record<MailProtocolName, { delegated: string; app: string }> = {
  smtp: { delegated: 'SMTP.Send', app: 'SMTP.SendAsApp' },
  imap: { delegated: 'IMAP.AccessAsUser.All', app: 'IMAP.AccessAsApp' },
  pop3: { delegated: 'POP.AccessAsUser.All', app: 'POP.AccessAsApp' },
};

export type OAuthFailure = 'invalid-token' | 'scope' | 'mailbox';

export type OAuthOutcome =
  | { ok: true; mailbox: string; token: TokenInfo; expiringSoon: boolean }
  | {
      ok: false;
      failure: OAuthFailure;
      flavour: TokenInfo['flavour'] | 'unknown';
      challenge: Record<string, string>;
    };

export interface SaslOAuth {
  user?: string;
  token: string;
}

export interface SaslPlain {
  authzid: string;
  user: string;
  password: string;
}

function decodeBase64(value: string): string | null {
  const trimmed = value.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed)) return null;
  return Buffer.from(trimmed, 'base64').toString('utf8');
}

/** `user=<mailbox>\x01auth=Bearer <token>\x01\x01` */
export function decodeXoauth2(base64: string): SaslOAuth | null {
  const text = decodeBase64(base64);
  if (text === null) return null;
  const fields = new Map<string, string>();
  for (const part of text.split('\x01')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).toLowerCase(), part.slice(eq + 1));
  }
  const auth = /^Bearer\s+(\S+)$/i.exec(fields.get('auth') ?? '');
  if (!auth?.[1]) return null;
  const user = fields.get('user');
  return { token: auth[1], ...(user ? { user } : {}) };
}

/** RFC 7628: `n,a=<user>,\x01host=...\x01port=...\x01auth=Bearer <token>\x01\x01` */
export function decodeOauthBearer(base64: string): SaslOAuth | null {
  const text = decodeBase64(base64);
  if (text === null) return null;
  const [gs2 = '', ...rest] = text.split('\x01');
  const authzid = /(?:^|,)a=([^,]*)/.exec(gs2)?.[1]?.replace(/=2C/gi, ',').replace(/=3D/gi, '=');
  const auth = rest.map((part) => /^auth=Bearer\s+(\S+)$/i.exec(part)?.[1]).find(Boolean);
  if (!auth) return null;
  return { token: auth, ...(authzid ? { user: authzid } : {}) };
}

/** RFC 4616: `authzid\0authcid\0password` */
export function decodePlain(base64: string): SaslPlain | null {
  const text = decodeBase64(base64);
  if (text === null) return null;
  const parts = text.split('\0');
  if (parts.length !== 3 || !parts[1]) return null;
  return { authzid: parts[0] ?? '', user: parts[1], password: parts[2] ?? '' };
}

const shortScope = (scope: string): string => scope.slice(scope.lastIndexOf('/') + 1);

export interface Authorizer {
  checkPassword(mailbox: string, password: string): string | null;
  checkToken(protocol: MailProtocolName, user: string | undefined, token: string): Promise<OAuthOutcome>;
}

/** Protocol-independent credential checks shared by the SMTP, POP3 and IMAP servers. */
export function createAuthorizer(options: MailServersOptions): Authorizer {
  const passwords = new Map(
    Object.entries(options.passwordUsers ?? {}).map(([mailbox, password]) => [
      normaliseMailbox(mailbox),
      password,
    ]),
  );
  const skew = options.tokenExpirySkewMs ?? 60_000;
  const canActAs = options.canActAs ?? (() => false);

  return {
    checkPassword(mailbox, password) {
      const key = normaliseMailbox(mailbox);
      const expected = passwords.get(key);
      if (expected === undefined) return null;
      const a = Buffer.from(expected, 'utf8');
      const b = Buffer.from(password, 'utf8');
      return a.length === b.length && timingSafeEqual(a, b) ? key : null;
    },
    async checkToken(protocol, user, token) {
      let info: TokenInfo;
      try {
        info = await options.validateToken(token);
      } catch {
        return {
          ok: false,
          failure: 'invalid-token',
          flavour: 'unknown',
          challenge: { status: '401', schemes: 'bearer' },
        };
      }
      const challenge: Record<string, string> =
        info.flavour === 'google'
          ? { status: '400', schemes: 'Bearer', scope: GOOGLE_MAIL_SCOPE }
          : { status: '401', schemes: 'bearer' };
      const fail = (failure: OAuthFailure): OAuthOutcome => ({
        ok: false,
        failure,
        flavour: info.flavour,
        challenge,
      });
      const now = Date.now();
      if (!info.active || (info.expiresAt !== undefined && info.expiresAt <= now))
        return fail('invalid-token');

      const required = MICROSOFT_PERMISSIONS[protocol];
      let mailbox: string;
      if (info.flavour === 'google') {
        if (!info.scopes.includes(GOOGLE_MAIL_SCOPE)) return fail('scope');
        if (!info.username) return fail('mailbox');
        mailbox = normaliseMailbox(user ?? info.username);
        if (mailbox !== normaliseMailbox(info.username) && !canActAs(info.username, mailbox))
          return fail('mailbox');
      } else if (info.appOnly) {
        if (!info.roles.includes(required.app)) return fail('scope');
        if (!user) return fail('mailbox');
        mailbox = normaliseMailbox(user);
        const appId = info.clientId ?? info.username ?? '';
        const permitted = options.appMailboxPermissions ? await options.appMailboxPermissions(appId) : [];
        const allowed = permitted.some((entry) => entry === '*' || normaliseMailbox(entry) === mailbox);
        if (!allowed) return fail('mailbox');
      } else {
        if (!info.scopes.map(shortScope).includes(required.delegated)) return fail('scope');
        if (!info.username) return fail('mailbox');
        mailbox = normaliseMailbox(user ?? info.username);
        if (mailbox !== normaliseMailbox(info.username) && !canActAs(info.username, mailbox))
          return fail('mailbox');
      }
      const expiringSoon = info.expiresAt !== undefined && info.expiresAt - now < skew;
      return { ok: true, mailbox, token: info, expiringSoon };
    },
  };
}
