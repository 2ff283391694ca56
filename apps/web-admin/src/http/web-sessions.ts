import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseCookies } from './request.js';

export const SESSION_COOKIE = 'mailplug_admin';

/** A message shown once on the next page (post/redirect/get). */
export interface Flash {
  readonly kind: 'ok' | 'error' | 'info';
  readonly title: string;
  readonly text?: string;
  readonly hint?: string;
  readonly code?: string;
}

/**
 * One browser's session with the admin app. Every visitor gets one (the login form needs a CSRF
 * token too); `authenticated` turns true after the admin token was entered, and the id is
 * replaced at that moment so a session fixed before login is worthless.
 */
export interface WebSession {
  readonly id: string;
  readonly csrfToken: string;
  authenticated: boolean;
  lastSeenAt: number;
  flash: Flash[];
}

export interface WebSessionsOptions {
  readonly adminToken: string;
  /** Add `Secure` to the cookie (the app is served over https). */
  readonly secureCookies: boolean;
  /** Idle sessions end after this long. Default 8 hours. */
  readonly idleMs?: number;
  readonly now?: () => number;
}

export interface WebSessions {
  /** The caller's session, creating an anonymous one (and its cookie) when there is none. */
  ensure(req: IncomingMessage, res: ServerResponse): WebSession;
  /** Checks the admin token; on success the session is replaced by a fresh authenticated one. */
  login(session: WebSession, token: string, res: ServerResponse): WebSession | undefined;
  logout(session: WebSession, res: ServerResponse): void;
  /** Constant-time comparison of a submitted CSRF token with the session's. */
  csrfMatches(session: WebSession, submitted: string | null | undefined): boolean;
  /** Whether a session id still exists (tests, diagnostics). */
  has(id: string): boolean;
}

const newId = () => randomBytes(32).toString('base64url');

export function constantTimeEquals(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function createWebSessions(options: WebSessionsOptions): WebSessions {
  const sessions = new Map<string, WebSession>();
  const idleMs = options.idleMs ?? 8 * 60 * 60_000;
  const now = options.now ?? Date.now;

  // SameSite=Lax, not Strict: the identity platform sends the browser back to the OAuth callback
  // with a cross-site top-level GET, and that request must carry the session to be bound to it.
  // Every state-changing request is a POST with a CSRF token, which Lax never sends cross-site.
  const cookie = (value: string, maxAge?: number) =>
    [
      `${SESSION_COOKIE}=${value}`,
      'Path=/',
      'HttpOnly',
      'SameSite=Lax',
      ...(options.secureCookies ? ['Secure'] : []),
      ...(maxAge !== undefined ? [`Max-Age=${maxAge}`] : []),
    ].join('; ');

  function create(res: ServerResponse, authenticated: boolean): WebSession {
    const session: WebSession = {
      id: newId(),
      csrfToken: newId(),
      authenticated,
      lastSeenAt: now(),
      flash: [],
    };
    sessions.set(session.id, session);
    res.setHeader('Set-Cookie', cookie(session.id));
    return session;
  }

  function prune(): void {
    for (const [id, s] of sessions) if (now() - s.lastSeenAt > idleMs) sessions.delete(id);
  }

  return {
    ensure(req, res) {
      prune();
      const id = parseCookies(req.headers.cookie)[SESSION_COOKIE];
      const existing = id ? sessions.get(id) : undefined;
      if (existing) {
        existing.lastSeenAt = now();
        return existing;
      }
      return create(res, false);
    },
    login(session, token, res) {
      if (!constantTimeEquals(token.trim(), options.adminToken)) return undefined;
      sessions.delete(session.id);
      const fresh = create(res, true);
      fresh.flash.push(...session.flash);
      return fresh;
    },
    logout(session, res) {
      sessions.delete(session.id);
      res.setHeader('Set-Cookie', cookie('', 0));
    },
    csrfMatches(session, submitted) {
      return typeof submitted === 'string' && constantTimeEquals(submitted, session.csrfToken);
    },
    has(id) {
      return sessions.has(id);
    },
  };
}
