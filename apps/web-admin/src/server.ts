import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '@mailplug/core';
import type { AppState, FormPresets } from './app-state.js';
import { appPackageDir, createWebAdminHost, type WebAdminHost } from './host.js';
import { HttpError, readForm } from './http/request.js';
import { match, type RequestContext, type Route, redirect, route, sendHtml } from './http/router.js';
import { createWebSessions, type WebSession, type WebSessions } from './http/web-sessions.js';
import { renderLogin, renderMessage } from './pages/login.js';
import { accountRoutes } from './routes/account-routes.js';
import { adminRoutes } from './routes/admin-routes.js';
import { connectionRoutes } from './routes/connection-routes.js';
import { pageContext } from './routes/context.js';
import { outboxRoutes } from './routes/outbox-routes.js';
import { signInRoutes } from './routes/sign-in-routes.js';
import { createDeviceCodeRuns, createPendingCallbacks } from './sign-in.js';

export interface WebAdminOptions {
  /** Where accounts, secrets and tokens are kept. */
  readonly dataDir: string;
  /** Interface to listen on. Default 127.0.0.1: an admin surface is not exposed by accident. */
  readonly hostname?: string;
  /** Default 0 (ephemeral). */
  readonly port?: number;
  /** The URL browsers use (behind a reverse proxy: its https URL). Default http://<hostname>:<port>. */
  readonly publicUrl?: string;
  /** The admin token; default 24 random bytes. */
  readonly adminToken?: string;
  readonly presets?: FormPresets;
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: Logger;
  /** Deadline for each account's authorization check on list pages. Default 15 s. */
  readonly checkTimeoutMs?: number;
}

export interface WebAdmin {
  readonly url: string;
  readonly adminToken: string;
  readonly redirectUri: string;
  readonly host: WebAdminHost;
  close(): Promise<void>;
}

const ASSETS: Record<string, string> = {
  '/assets/admin.css': 'text/css; charset=utf-8',
  '/assets/admin.js': 'text/javascript; charset=utf-8',
};

/** A strict policy: only this app's own script and styles, no inline code, no framing. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

function authRoutes(sessions: WebSessions): Route[] {
  return [
    route(
      'GET',
      '/login',
      (ctx) => {
        if (ctx.session.authenticated) return redirect(ctx.res, '/accounts', 302);
        sendHtml(
          ctx.res,
          200,
          renderLogin(pageContext(ctx), false, safeNext(ctx.url.searchParams.get('next'))),
        );
      },
      { public: true },
    ),
    route(
      'POST',
      '/login',
      (ctx) => {
        const next = safeNext(ctx.form.get('next'));
        const session = sessions.login(ctx.session, ctx.form.get('token') ?? '', ctx.res);
        if (!session) return sendHtml(ctx.res, 401, renderLogin(pageContext(ctx), true, next));
        redirect(ctx.res, next);
      },
      { public: true },
    ),
    route('POST', '/logout', (ctx) => {
      sessions.logout(ctx.session, ctx.res);
      redirect(ctx.res, '/login');
    }),
  ];
}

/** Only same-app paths after login (no open redirect). */
function safeNext(value: string | null | undefined): string {
  return value && /^\/[^/\\]/.test(value) ? value : '/accounts';
}

export async function startWebAdmin(options: WebAdminOptions): Promise<WebAdmin> {
  const hostname = options.hostname ?? '127.0.0.1';
  const adminToken = options.adminToken ?? randomBytes(24).toString('base64url');
  const host = await createWebAdminHost({
    dataDir: options.dataDir,
    ...(options.env ? { env: options.env } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, hostname, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const publicUrl = (options.publicUrl ?? `http://${hostname}:${port}`).replace(/\/$/, '');
  const sessions = createWebSessions({ adminToken, secureCookies: publicUrl.startsWith('https:') });
  const app: AppState = {
    host,
    pendingCallbacks: createPendingCallbacks(),
    deviceRuns: createDeviceCodeRuns(),
    publicUrl,
    redirectUri: `${publicUrl}/oauth/callback`,
    presets: options.presets ?? {},
    checkTimeoutMs: options.checkTimeoutMs ?? 15_000,
  };
  // The outbox's delivery worker runs in the app process; several app processes may share it.
  const worker = host.outbox.startWorker({ concurrency: 4 });
  const routes = [
    ...authRoutes(sessions),
    ...accountRoutes(app),
    ...connectionRoutes(app),
    ...signInRoutes(app),
    ...outboxRoutes(app),
    ...adminRoutes(app),
  ];
  const assetsDir = join(appPackageDir(), 'assets');

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    securityHeaders(res);
    const url = new URL(req.url ?? '/', publicUrl);
    const method = req.method ?? 'GET';
    const asset = ASSETS[url.pathname];
    if (method === 'GET' && asset) {
      res.setHeader('Content-Type', asset);
      res.setHeader('Cache-Control', 'no-cache');
      res.end(await readFile(join(assetsDir, url.pathname.slice('/assets/'.length))));
      return;
    }
    const session: WebSession = sessions.ensure(req, res);
    const found = match(routes, method, url.pathname);
    if (!found) {
      return sendHtml(
        res,
        404,
        renderMessage(
          { csrfToken: session.csrfToken, flash: [], authenticated: session.authenticated },
          'Not found',
          'There is no such page.',
        ),
      );
    }
    if (!found.route.public && !session.authenticated) {
      if (method === 'GET' && !url.pathname.endsWith('/events')) {
        return redirect(res, `/login?next=${encodeURIComponent(url.pathname + url.search)}`, 302);
      }
      res.statusCode = 401;
      res.end('Log in first.');
      return;
    }
    let form = new URLSearchParams();
    if (method === 'POST') {
      form = await readForm(req);
      if (!sessions.csrfMatches(session, form.get('csrf'))) {
        return sendHtml(
          res,
          403,
          renderMessage(
            pageContext({ session } as RequestContext),
            'Forbidden',
            'The form has expired (missing or wrong CSRF token). Reload the page and try again.',
          ),
        );
      }
    }
    await found.route.handler({ req, res, url, session, params: found.params, form });
  }

  server.on('request', (req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (!(error instanceof HttpError))
        options.logger?.error('web-admin: request failed', { error: String(error) });
      if (!res.headersSent) {
        res.statusCode = status;
        res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      }
      res.end(error instanceof HttpError ? error.message : 'Something went wrong; see the server log.');
    });
  });

  return {
    url: publicUrl,
    adminToken,
    redirectUri: app.redirectUri,
    host,
    async close() {
      app.deviceRuns.dispose();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await worker.stop();
      await host.dispose();
    },
  };
}
