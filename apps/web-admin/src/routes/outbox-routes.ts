/**
 * Sending through the outbox — the send path a host copies: `outbox.enqueue` stores the message,
 * the worker in this process delivers it — and the Outbox screen with its host actions.
 */
import type { MailAccount, OutgoingMessage } from '@mailplug/core';
import { OUTBOX_STATES, type OutboxMessageStatus, type OutboxState } from '@mailplug/outbox';
import type { AppState } from '../app-state.js';
import { directionOf } from '../app-state.js';
import { addFlash, type Route, redirect, route, sendHtml } from '../http/router.js';
import type { Flash } from '../http/web-sessions.js';
import { formatDateTime } from '../pages/layout.js';
import { renderOutbox } from '../pages/outbox.js';
import { asMailplugError } from '../sign-in.js';
import { pageContext } from './context.js';

/** States after which a message waits for something else than the worker (or is done). */
const SETTLED: ReadonlySet<OutboxState> = new Set(['sent', 'held', 'deferred', 'failed', 'cancelled']);

/** How long a "Send test email" request waits for the worker's first attempt before answering. */
const FIRST_ATTEMPT_WAIT_MS = 20_000;

/**
 * The message's status once the worker's first attempt settled it, or its current status when that
 * takes longer than `timeoutMs` (the message stays queued and the Outbox screen shows it).
 */
async function firstOutcome(
  app: AppState,
  id: string,
  timeoutMs: number,
): Promise<OutboxMessageStatus | undefined> {
  const { outbox } = app.host;
  let wake: () => void = () => undefined;
  const subscription = outbox.onDidChange((event) => {
    if ('id' in event && event.id === id) wake();
    if (event.type === 'released') wake();
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const status = await outbox.get(id);
      if (!status || SETTLED.has(status.state) || Date.now() >= deadline) return status;
      // Events wake this early; the timer covers an attempt settled in another process.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(500, Math.max(0, deadline - Date.now())));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    subscription.dispose();
  }
}

export function routeLabel(app: AppState, message: OutboxMessageStatus): string | undefined {
  const route = app.host.deliveredRoute(message.messageId);
  return route ? (app.host.registry.describeProtocol(route)?.label ?? route) : undefined;
}

/** Queues a message, waits for the first attempt, and says what happened as a flash message. */
export async function sendThroughOutbox(
  app: AppState,
  request: { account: MailAccount; actingUser?: string; message: OutgoingMessage },
): Promise<Flash> {
  const to = String(request.message.to);
  try {
    const { id } = await app.host.outbox.enqueue(request);
    const status = await firstOutcome(app, id, FIRST_ATTEMPT_WAIT_MS);
    const error = status?.lastError;
    switch (status?.state) {
      case 'sent': {
        const route = routeLabel(app, status);
        return {
          kind: 'ok',
          title: `Test email sent to ${to}.`,
          text: `Delivered${route ? ` via ${route}` : ''}; check that it arrived. Message-ID: ${status.messageId}`,
        };
      }
      case 'held':
        return {
          kind: 'error',
          title: 'The test email is held in the outbox: sign in again to release it.',
          ...(error ? { text: error.message, hint: error.hint, code: error.code } : {}),
        };
      case 'deferred':
        return {
          kind: 'info',
          title: `The test email will be tried again at ${formatDateTime(status.notBefore)}.`,
          ...(error ? { text: error.message, hint: error.hint, code: error.code } : {}),
        };
      case 'failed':
        return {
          kind: 'error',
          title: 'The test email was not sent.',
          ...(error ? { text: error.message, hint: error.hint, code: error.code } : {}),
        };
      default:
        return {
          kind: 'info',
          title: `The test email to ${to} is queued.`,
          text: 'The Outbox screen shows when it is delivered.',
        };
    }
  } catch (thrown) {
    // Refused before anything was stored (invalid account, permission, message).
    const e = asMailplugError(thrown);
    return {
      kind: 'error',
      title: 'The test email was not sent.',
      text: e.message,
      hint: e.hint,
      code: e.code,
    };
  }
}

export function outboxRoutes(app: AppState): Route[] {
  const { outbox } = app.host;
  const act = (verb: string, run: () => Promise<string>): Promise<Flash> =>
    run().then(
      (title): Flash => ({ kind: 'ok', title }),
      (thrown: unknown): Flash => {
        const e = asMailplugError(thrown);
        return { kind: 'error', title: `Could not ${verb}.`, text: e.message, hint: e.hint, code: e.code };
      },
    );
  return [
    route('GET', '/outbox', async (ctx) => {
      const config = await app.host.config.read();
      const sendRecords = config.accounts.filter((r) => directionOf(app, r) === 'send');
      const accounts = await Promise.all(
        sendRecords.map(async (record) => ({
          record,
          status: await outbox.accountStatus(record.account.id),
        })),
      );
      const messages: Partial<Record<OutboxState, OutboxMessageStatus[]>> = {};
      for (const state of OUTBOX_STATES) {
        const list = await outbox.list({ states: [state], limit: state === 'sent' ? 500 : 100 });
        // Sent: the most recent ones.
        messages[state] = state === 'sent' ? list.slice(-25) : list;
      }
      const names = new Map(config.accounts.map((r) => [r.account.id, r.account.label ?? r.account.id]));
      sendHtml(
        ctx.res,
        200,
        renderOutbox(pageContext(ctx), {
          accounts,
          messages,
          accountName: (id) => names.get(id) ?? `${id} (removed)`,
          routeLabel: (m) => routeLabel(app, m),
          now: Date.now(),
        }),
      );
    }),
    route('POST', '/outbox/messages/:id/retry', async (ctx) => {
      const id = ctx.params.id ?? '';
      const flash = await act('retry the message', async () => {
        await outbox.retry(id);
        return 'The message is queued again.';
      });
      addFlash(ctx.session, flash);
      redirect(ctx.res, '/outbox');
    }),
    route('POST', '/outbox/messages/:id/cancel', async (ctx) => {
      const id = ctx.params.id ?? '';
      const flash = await act('cancel the message', async () => {
        await outbox.cancel(id);
        return 'The message was cancelled; it will not be sent.';
      });
      addFlash(ctx.session, flash);
      redirect(ctx.res, '/outbox');
    }),
    route('POST', '/outbox/accounts/:id/release', async (ctx) => {
      const accountId = ctx.params.id ?? '';
      const flash = await act('release the account', async () => {
        const count = await outbox.release(accountId);
        return count
          ? `Released ${count} message${count === 1 ? '' : 's'}; if the account still needs a sign-in, they are held again.`
          : 'Nothing was held for this account.';
      });
      addFlash(ctx.session, flash);
      redirect(ctx.res, '/outbox');
    }),
  ];
}
