/**
 * Check Authorization, Test connection (every route of the account, with core's summary of which
 * one delivers) and Send test email (through the outbox).
 */
import type { DiagnosticReport, DiagnosticStep, OutgoingMessage } from '@mailplug/core';
import { ADMIN, type AppState, statusOf } from '../app-state.js';
import { addFlash, type Route, redirect, route } from '../http/router.js';
import { asMailplugError } from '../sign-in.js';
import { withRecord } from './account-routes.js';
import { sendThroughOutbox } from './outbox-routes.js';

function stepJson(step: DiagnosticStep) {
  return {
    id: step.id,
    label: step.label,
    status: step.status,
    durationMs: Math.round(step.durationMs),
    ...(step.detail ? { detail: step.detail } : {}),
    ...(step.error
      ? { error: { code: step.error.code, message: step.error.message, hint: step.error.hint } }
      : {}),
  };
}

/** The outcome of a run: for an account with a fallback, each route's steps and core's summary. */
function reportJson(report: DiagnosticReport) {
  return {
    ok: report.ok,
    ...(report.summary ? { summary: report.summary } : {}),
    ...(report.routes
      ? {
          routes: report.routes.map((r) => ({
            protocol: r.protocol,
            label: r.label,
            ok: r.ok,
            closed: r.closed,
            steps: r.steps.map(stepJson),
          })),
        }
      : {}),
  };
}

export function connectionRoutes(app: AppState): Route[] {
  return [
    route('POST', '/accounts/:id/check', (ctx) =>
      withRecord(app, ctx, async (record) => {
        const status = await statusOf(app, record);
        addFlash(
          ctx.session,
          status.state === 'authorized'
            ? {
                kind: 'ok',
                title: `Authorized${status.identity ? ` as ${status.identity.mailbox}` : ''}.`,
                ...(status.grantedScopes.length ? { text: `Scopes: ${status.grantedScopes.join(' ')}` } : {}),
              }
            : {
                kind: 'error',
                title: `Not authorized: ${status.state === 'signInRequired' ? 'sign-in required' : status.state}.`,
                ...(status.error
                  ? { text: status.error.message, hint: status.error.hint, code: status.error.code }
                  : {}),
              },
        );
        redirect(ctx.res, `/accounts/${record.account.id}#authorization`);
      }),
    ),
    // Without JavaScript the form posts here and waits for the whole run.
    route('POST', '/accounts/:id/test', (ctx) =>
      withRecord(app, ctx, async (record) => {
        try {
          const report = await (await app.host.mailer()).probe(record.account, { access: ADMIN });
          const failed = report.steps.find((s) => s.status === 'failed');
          addFlash(
            ctx.session,
            report.ok
              ? {
                  kind: 'ok',
                  title: 'Test connection passed.',
                  text: report.summary ?? report.steps.map((s) => `✓ ${s.label}`).join(' · '),
                }
              : {
                  kind: 'error',
                  title: `Test connection failed at "${failed?.label}".`,
                  ...(failed?.error
                    ? {
                        text: [report.summary, failed.error.message].filter(Boolean).join(' '),
                        hint: failed.error.hint,
                        code: failed.error.code,
                      }
                    : {}),
                },
          );
        } catch (error) {
          const e = asMailplugError(error);
          addFlash(ctx.session, {
            kind: 'error',
            title: 'Test connection could not run.',
            text: e.message,
            hint: e.hint,
            code: e.code,
          });
        }
        redirect(ctx.res, `/accounts/${record.account.id}`);
      }),
    ),
    // The live checklist: one server-sent event per probe step as it finishes, then the outcome
    // (every route's steps and the summary when the account has a fallback route).
    route('GET', '/accounts/:id/test/events', (ctx) =>
      withRecord(app, ctx, async (record) => {
        const { res } = ctx;
        res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-store',
          Connection: 'keep-alive',
        });
        const send = (event: string, data: unknown) =>
          res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        const abort = new AbortController();
        ctx.req.on('close', () => abort.abort());
        try {
          const report = await (await app.host.mailer()).probe(record.account, {
            access: ADMIN,
            onStep: (step) => send('step', stepJson(step)),
            signal: abort.signal,
          });
          send('done', reportJson(report));
        } catch (error) {
          const e = asMailplugError(error);
          send('failed', { code: e.code, message: e.message, hint: e.hint });
        }
        res.end();
      }),
    ),
    // Through the outbox, as every send of a host should go: stored first, then delivered by the
    // worker; the page answers once the first attempt settled (sent, held, deferred or failed).
    route('POST', '/accounts/:id/send-test', (ctx) =>
      withRecord(app, ctx, async (record) => {
        const to = (ctx.form.get('to') ?? '').trim();
        const actingUser = ctx.form.get('actingUser') ?? undefined;
        const name = record.account.label ?? record.account.id;
        const message: OutgoingMessage = {
          to,
          subject: `Test email from Setup → Email (${name})`,
          text: `This is a test email sent from the "${name}" mail account to check that sending works.`,
        };
        addFlash(
          ctx.session,
          await sendThroughOutbox(app, {
            account: record.account,
            ...(actingUser ? { actingUser } : {}),
            message,
          }),
        );
        redirect(ctx.res, `/accounts/${record.account.id}`);
      }),
    ),
  ];
}
