/**
 * Google's provider data, kept apart from the flow code (the way Thunderbird keeps its OAuth2
 * provider table): endpoints, issuers, mail servers and scopes. Everything here is frozen so that
 * one account's overrides can never leak into another's.
 */
import type { ProtocolId } from '@mailplug/core';

/**
 * The one scope Gmail's SMTP, IMAP and POP servers accept for XOAUTH2. Google classes it as a
 * restricted scope: an External app that asks for it needs Google's restricted-scope verification
 * (including a security assessment) before it leaves Testing.
 */
export const GMAIL_MAIL_SCOPE = 'https://mail.google.com/';

/**
 * Send-only access through the Gmail API (`users.messages.send`). A sensitive, not restricted,
 * scope — no security assessment — but Gmail's SMTP server refuses tokens that carry only it.
 */
export const GMAIL_SEND_SCOPE = 'https://www.googleapis.com/auth/gmail.send';

/** Endpoints a Google-compatible identity platform serves. All can be overridden per account. */
export interface GoogleEndpoints {
  /** Authorization endpoint the user's browser is sent to. */
  readonly authUrl: string;
  /** Token endpoint (authorization code, refresh token and JWT bearer grants). */
  readonly tokenUrl: string;
  /** Revocation endpoint. */
  readonly revokeUrl: string;
  /** Describes an access token (scopes, expiry, email). */
  readonly tokenInfoUrl: string;
  /** OpenID Connect userinfo (email, name) for an access token. */
  readonly userInfoUrl: string;
  /** ID token signing keys: a JWK set (v3, the default) or Google's v1 `{ kid: PEM }` map. */
  readonly certsUrl: string;
}

export interface MailServerDefault {
  readonly host: string;
  readonly port: number;
  readonly security: 'starttls' | 'tls' | 'none';
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Google (consumer Gmail and Google Workspace). Sources: Google's OAuth 2.0 for web server apps,
 * OpenID Connect discovery document, and the Gmail IMAP/SMTP/POP XOAUTH2 guide.
 */
export const GOOGLE_PROVIDER = deepFreeze({
  id: 'google',
  label: 'Google (Gmail / Google Workspace)',
  endpoints: {
    authUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    revokeUrl: 'https://oauth2.googleapis.com/revoke',
    tokenInfoUrl: 'https://oauth2.googleapis.com/tokeninfo',
    userInfoUrl: 'https://openidconnect.googleapis.com/v1/userinfo',
    certsUrl: 'https://www.googleapis.com/oauth2/v3/certs',
  } satisfies GoogleEndpoints,
  /** ID tokens carry either spelling of the issuer. */
  issuers: ['https://accounts.google.com', 'accounts.google.com'],
  /** Default servers per protocol; the first entry is the recommended one. */
  servers: {
    smtp: [
      { host: 'smtp.gmail.com', port: 587, security: 'starttls' },
      { host: 'smtp.gmail.com', port: 465, security: 'tls' },
    ],
    imap: [{ host: 'imap.gmail.com', port: 993, security: 'tls' }],
    pop3: [{ host: 'pop.gmail.com', port: 995, security: 'tls' }],
  } satisfies Record<string, readonly MailServerDefault[]>,
  /**
   * Scopes each protocol needs. Gmail's mail servers accept only the full mail scope — the
   * narrower `gmail.send` scope works for the Gmail REST API, not for SMTP — so even a send-only
   * host must ask for it.
   */
  protocolScopes: {
    smtp: [GMAIL_MAIL_SCOPE],
    imap: [GMAIL_MAIL_SCOPE],
    pop3: [GMAIL_MAIL_SCOPE],
    'gmail-api': [GMAIL_SEND_SCOPE],
  } satisfies Record<string, readonly string[]>,
  /** Asked for beside the mail scope so that sign-in learns which mailbox was authorized. */
  identityScopes: ['openid', 'email'],
  /** What Google's consent screen calls the mail scope (the box users must tick). */
  mailScopeConsentText: 'Read, compose, send and permanently delete all your email from Gmail',
});

export type GoogleMailProtocol = keyof typeof GOOGLE_PROVIDER.protocolScopes;

export function isGoogleMailProtocol(protocol: ProtocolId): protocol is GoogleMailProtocol {
  return Object.hasOwn(GOOGLE_PROVIDER.protocolScopes, protocol);
}

/** The scopes a mail protocol needs on its access token. */
export function scopesForProtocol(protocol: GoogleMailProtocol): readonly string[] {
  return GOOGLE_PROVIDER.protocolScopes[protocol];
}

/**
 * Whether granted scopes let a protocol use the token: the full mail scope covers every protocol
 * (the Gmail API accepts it too); `gmail.send` covers only the Gmail API.
 */
export function scopesCoverProtocol(granted: readonly string[], protocol: GoogleMailProtocol): boolean {
  return granted.includes(GMAIL_MAIL_SCOPE) || scopesForProtocol(protocol).every((s) => granted.includes(s));
}

/**
 * The scopes to request at sign-in: the union of what the protocols need, plus identity scopes.
 * Kept separate from {@link scopesForProtocol} because what we ask for and what a server checks
 * are different questions.
 */
export function scopesToRequest(protocols: readonly GoogleMailProtocol[]): string[] {
  const scopes = new Set<string>();
  for (const p of protocols) for (const s of scopesForProtocol(p)) scopes.add(s);
  // The full mail scope already covers the Gmail API: never ask for both.
  if (scopes.has(GMAIL_MAIL_SCOPE)) scopes.delete(GMAIL_SEND_SCOPE);
  for (const s of GOOGLE_PROVIDER.identityScopes) scopes.add(s);
  return [...scopes];
}

/** Endpoints with per-account overrides applied (unset or empty overrides keep Google's). */
export function resolveEndpoints(
  overrides: Partial<Record<keyof GoogleEndpoints, unknown>>,
): GoogleEndpoints {
  const pick = (key: keyof GoogleEndpoints): string => {
    const value = overrides[key];
    return typeof value === 'string' && value !== '' ? value : GOOGLE_PROVIDER.endpoints[key];
  };
  return Object.freeze({
    authUrl: pick('authUrl'),
    tokenUrl: pick('tokenUrl'),
    revokeUrl: pick('revokeUrl'),
    tokenInfoUrl: pick('tokenInfoUrl'),
    userInfoUrl: pick('userInfoUrl'),
    certsUrl: pick('certsUrl'),
  });
}
