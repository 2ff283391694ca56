/**
 * The routes a host developer copies: registry → session → begin (302) → callback → complete,
 * with the sign-in bound to the admin's web session (core's `binding`) and the expected mailbox
 * enforced by the mailer's session.
 */
import { CoreErrorCode, type MailAccount, type MailplugError } from '@mailplug/core';
import { findRecord } from '../admin-config.js';
import { ADMIN, type AppState, requireRecord } from '../app-state.js';
import { addFlash, type RequestContext, type Route, redirect, route, sendHtml } from '../http/router.js';
import { constantTimeEquals } from '../http/web-sessions.js';
import { renderMessage } from '../pages/login.js';
import { asMailplugError, callbackParams, noBrowserSignIn, unknownSignInError } from '../sign-in.js';
import { pageContext } from './context.js';

function refuse(ctx: RequestContext, status: number, error: MailplugError) {
  const page = renderMessage(
    {
      ...pageContext(ctx),
      flash: [{ kind: 'error', title: error.message, hint: error.hint, code: error.code }],
    },
    'Sign-in refused',
    'No account was changed.',
  );
  sendHtml(ctx.res, status, page);
}

export function signInRoutes(app: AppState): Route[] {
  return [
    // A link, not a form: a form POST answered with a redirect to another origin would need every
    // identity platform in the CSP form-action list. The CSRF token travels in the query instead.
    route('GET', '/accounts/:id/sign-in', async (ctx) => {
      if (!constantTimeEquals(ctx.url.searchParams.get('csrf') ?? '', ctx.session.csrfToken)) {
        return sendHtml(
          ctx.res,
          403,
          renderMessage(
            pageContext(ctx),
            'Forbidden',
            'The sign-in link has expired; open the account page again.',
          ),
        );
      }
      const record = await requireRecord(app, ctx.params.id ?? '');
      if (!record) return redirect(ctx.res, '/accounts', 302);
      try {
        const session = await (await app.host.mailer()).sessionFor(record.account, ADMIN);
        const listing = app.host.registry.describeAuthProvider(record.account.auth.provider);
        if (!session.interactive) throw noBrowserSignIn(listing?.label ?? record.account.auth.provider);
        const hint = expectedMailboxOf(record.account) || undefined;
        const start = await session.interactive.begin({
          redirectUri: app.redirectUri,
          ...(hint ? { loginHint: hint } : {}),
          protocols: routeProtocols(record),
          // The provider keeps (a hash of) this web session's id with the state; `complete` must
          // present the same value, so a callback carried by another browser is refused.
          binding: ctx.session.id,
        });
        app.pendingCallbacks.remember(start.state, record.account.id, start.expiresAt);
        redirect(ctx.res, start.url, 302);
      } catch (error) {
        const e = asMailplugError(error);
        addFlash(ctx.session, {
          kind: 'error',
          title: 'The sign-in could not start.',
          text: e.message,
          hint: e.hint,
          code: e.code,
        });
        redirect(ctx.res, `/accounts/${record.account.id}`);
      }
    }),
    route('GET', '/oauth/callback', async (ctx) => {
      const params = callbackParams(ctx.url);
      const accountId = app.pendingCallbacks.accountFor(params.state);
      const record = accountId ? findRecord(await app.host.config.read(), accountId) : undefined;
      if (!record || !params.state) return refuse(ctx, 400, unknownSignInError());
      try {
        const session = await (await app.host.mailer()).sessionFor(record.account, ADMIN);
        if (!session.interactive) throw noBrowserSignIn(record.account.auth.provider);
        // The signed-in mailbox must be the From address (MAILBOX_MISMATCH before anything is
        // stored) unless the account accepts any mailbox. The mailer's session defaults to that,
        // but it keeps the identity it was bound with until the sign-in settings change, so the
        // record as saved now is passed explicitly.
        const identity = await session.interactive.complete(params, {
          binding: ctx.session.id,
          expectedMailbox: expectedMailboxOf(record.account),
        });
        app.pendingCallbacks.forget(params.state);
        // Mail held while the account needed a sign-in goes out now (also after a restart, when
        // this process's outbox has not watched the account's session yet).
        const released = await app.host.outbox.release(record.account.id);
        addFlash(ctx.session, {
          kind: 'ok',
          title: `Signed in as ${identity.mailbox}.`,
          text: `The account is authorized; use Test connection and Send test email to check it.${released ? ` ${released} held message${released === 1 ? ' was' : 's were'} released from the outbox.` : ''}`,
        });
      } catch (error) {
        const e = asMailplugError(error);
        // Login CSRF: another browser session started this sign-in. Nothing was redeemed, and the
        // state stays valid for the browser that started it.
        if (e.code === CoreErrorCode.SignInBindingMismatch) return refuse(ctx, 403, e);
        app.pendingCallbacks.forget(params.state);
        addFlash(ctx.session, {
          kind: 'error',
          title: 'The sign-in did not complete.',
          text: e.message,
          hint: e.hint,
          code: e.code,
        });
      }
      redirect(ctx.res, `/accounts/${record.account.id}`);
    }),
    route('POST', '/accounts/:id/device-code', async (ctx) => {
      const record = await requireRecord(app, ctx.params.id ?? '');
      if (!record) return redirect(ctx.res, '/accounts');
      try {
        const session = await (await app.host.mailer()).sessionFor(record.account, ADMIN);
        const label =
          app.host.registry.describeAuthProvider(record.account.auth.provider)?.label ??
          record.account.auth.provider;
        app.deviceRuns.start(record, session, ctx.session.id, label);
      } catch (error) {
        const e = asMailplugError(error);
        addFlash(ctx.session, {
          kind: 'error',
          title: 'The device code sign-in could not start.',
          text: e.message,
          hint: e.hint,
          code: e.code,
        });
      }
      redirect(ctx.res, `/accounts/${record.account.id}#device-code`);
    }),
    // Streams the device-code run: the code as soon as Microsoft issues it, then the outcome.
    route('GET', '/accounts/:id/device-code/events', (ctx) => {
      const run = app.deviceRuns.get(ctx.params.id ?? '', ctx.session.id);
      const { res } = ctx;
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' });
      if (!run) {
        res.end('event: gone\ndata: {}\n\n');
        return;
      }
      const push = () => {
        res.write(
          `event: update\ndata: ${JSON.stringify({
            status: run.status,
            ...(run.prompt
              ? { userCode: run.prompt.userCode, verificationUri: run.prompt.verificationUri }
              : {}),
            ...(run.identity ? { mailbox: run.identity.mailbox } : {}),
            ...(run.error
              ? { error: { code: run.error.code, message: run.error.message, hint: run.error.hint } }
              : {}),
          })}\n\n`,
        );
        if (run.status === 'done' || run.status === 'failed') {
          run.listeners.delete(push);
          res.end();
        }
      };
      run.listeners.add(push);
      ctx.req.on('close', () => run.listeners.delete(push));
      push();
    }),
    route('POST', '/accounts/:id/sign-out', async (ctx) => {
      const record = await requireRecord(app, ctx.params.id ?? '');
      if (!record) return redirect(ctx.res, '/accounts');
      try {
        const result = await (await app.host.mailer())
          .sessionFor(record.account, ADMIN)
          .then((s) => s.signOut());
        const text = {
          revoked: 'The grant was revoked at the identity platform and the stored tokens were forgotten.',
          unsupported: 'The identity platform cannot revoke this sign-in; the stored tokens were forgotten.',
          nothingToRevoke: 'Nobody was signed in.',
          failed:
            'The grant could not be revoked (revoke the app at the identity platform); the stored tokens were forgotten anyway.',
        }[result.revocation];
        addFlash(ctx.session, {
          kind: result.revocation === 'failed' ? 'error' : 'ok',
          title: 'Signed out.',
          text,
          ...(result.error ? { hint: result.error.hint, code: result.error.code } : {}),
        });
      } catch (error) {
        const e = asMailplugError(error);
        addFlash(ctx.session, {
          kind: 'error',
          title: 'Sign-out failed.',
          text: e.message,
          hint: e.hint,
          code: e.code,
        });
      }
      redirect(ctx.res, `/accounts/${record.account.id}`);
    }),
  ];
}

/** The From address a sign-in must be for, or `false` when the account accepts any mailbox. */
function expectedMailboxOf(account: MailAccount): string | false {
  const identity = account.identity;
  return identity && !identity.acceptAnySignInMailbox ? identity.fromAddress : false;
}

/** Every protocol the account sends over (its fallback route too), so the sign-in grants them all. */
function routeProtocols(record: { account: { protocol: string; fallback?: { protocol: string } } }) {
  const { protocol, fallback } = record.account;
  return fallback ? [protocol, fallback.protocol] : [protocol];
}
