import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Html } from '../html.js';
import type { Flash, WebSession } from './web-sessions.js';

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly session: WebSession;
  readonly params: Readonly<Record<string, string>>;
  /** The parsed form of a POST (already CSRF-checked). */
  readonly form: URLSearchParams;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

export interface Route {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  readonly keys: readonly string[];
  readonly handler: Handler;
  /** Reachable without logging in (login page, assets). */
  readonly public?: boolean;
}

/** `/accounts/:id/edit` → a route whose `id` parameter is one path segment. */
export function route(
  method: Route['method'],
  path: string,
  handler: Handler,
  options: { public?: boolean } = {},
): Route {
  const keys: string[] = [];
  const source = path.replace(/:([A-Za-z]+)/g, (_m, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  return {
    method,
    pattern: new RegExp(`^${source}$`),
    keys,
    handler,
    ...(options.public ? { public: true } : {}),
  };
}

export function match(routes: readonly Route[], method: string, path: string) {
  for (const r of routes) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.keys.forEach((key, i) => {
      params[key] = decodeURIComponent(m[i + 1] ?? '');
    });
    return { route: r, params };
  }
  return undefined;
}

export function sendHtml(res: ServerResponse, status: number, page: Html): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(page.text);
}

/** 303 after a POST (post/redirect/get); 302 is kept for the sign-in redirect to the identity platform. */
export function redirect(res: ServerResponse, location: string, status = 303): void {
  res.statusCode = status;
  res.setHeader('Location', location);
  res.end();
}

export function addFlash(session: WebSession, flash: Flash): void {
  session.flash.push(flash);
}

export function takeFlash(session: WebSession): Flash[] {
  return session.flash.splice(0);
}
