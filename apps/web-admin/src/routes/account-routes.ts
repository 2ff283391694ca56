import type { DiagnosticStep, OutgoingMessage } from '@mailplug/core';
import { isSecretRef } from '@mailplug/core';
import type { MailServerRecord } from '../admin-config.js';
import {
  ADMIN,
  type AppState,
  directionOf,
  newAccountId,
  protocols,
  providers,
  requireRecord,
  saveRecord,
  secretName,
  statusOf,
  storedSecrets,
} from '../app-state.js';
import { addFlash, type RequestContext, type Route, redirect, route, sendHtml } from '../http/router.js';
import {
  type AccountFormValues,
  defaultsOf,
  parseAccountForm,
  renderAccountForm,
  valuesFromRecord,
} from '../pages/account-form.js';
import { type AccountRow, renderAccountDetail, renderAccountsPage } from '../pages/accounts.js';
import { renderIncoming } from '../pages/incoming.js';
import { renderMessage } from '../pages/login.js';
import { renderRegistration } from '../pages/registration.js';
import { parseProviderSettings } from '../settings-form.js';
import { asMailplugError } from '../sign-in.js';
import { pageContext } from './context.js';

async function rows(app: AppState, direction: 'send' | 'receive'): Promise<AccountRow[]> {
  const config = await app.host.config.read();
  const records = config.accounts.filter((r) => directionOf(app, r) === direction);
  return Promise.all(
    records.map(async (record) => {
      const provider = app.host.registry.describeAuthProvider(record.account.auth.provider);
      const protocol = app.host.registry.describeProtocol(record.account.protocol);
      return {
        record,
        status: await statusOf(app, record),
        ...(provider ? { provider } : {}),
        ...(protocol ? { protocol } : {}),
      };
    }),
  );
}

function newValues(app: AppState, direction: 'send' | 'receive'): AccountFormValues {
  const list = providers(app);
  const protocol = protocols(app).find((p) => p.direction === direction);
  const server = direction === 'send' ? app.presets.outgoingServer : app.presets.incomingServer;
  const security = server?.security ?? (direction === 'send' ? 'starttls' : 'tls');
  const first = list.find((p) => protocol && p.protocols.includes(protocol.id));
  return {
    name: '',
    description: '',
    protocol: protocol?.id ?? '',
    host: server?.host ?? '',
    port: String(server?.port ?? protocol?.defaultPorts[security] ?? ''),
    security,
    timeoutSeconds: '120',
    caFile: server?.caFile ?? '',
    allowInsecureAuth: false,
    fromAddress: '',
    displayName: '',
    scope: 'organization',
    provider: first?.id ?? '',
    allowOtherMailbox: false,
    providerValues: Object.fromEntries(
      list.map((p) => [p.id, { ...defaultsOf(p), ...(app.presets.providerSettings?.[p.id] ?? {}) }]),
    ),
  };
}

async function showForm(
  app: AppState,
  ctx: RequestContext,
  options: {
    mode: 'new' | 'edit';
    direction: 'send' | 'receive';
    values: AccountFormValues;
    issues?: Parameters<typeof renderAccountForm>[1]['issues'];
    record?: MailServerRecord;
    status?: number;
  },
): Promise<void> {
  const users = (await app.host.config.read()).users;
  const title =
    options.mode === 'new'
      ? options.direction === 'send'
        ? 'Add mail account'
        : 'Add incoming mail server'
      : `Edit ${options.record?.account.label ?? 'account'}`;
  const action =
    options.mode === 'new'
      ? options.direction === 'send'
        ? '/accounts'
        : '/incoming'
      : `/accounts/${options.record?.account.id}`;
  sendHtml(
    ctx.res,
    options.status ?? 200,
    renderAccountForm(
      pageContext(ctx),
      {
        mode: options.mode,
        direction: options.direction,
        action,
        values: options.values,
        issues: options.issues ?? [],
        storedSecrets: await storedSecrets(app, options.record),
        providers: providers(app),
        protocols: protocols(app),
        users,
        redirectUri: app.redirectUri,
      },
      title,
    ),
  );
}

async function create(app: AppState, ctx: RequestContext, direction: 'send' | 'receive'): Promise<void> {
  const id = await newAccountId(app, ctx.form.get('name') ?? '');
  const parsed = parseAccountForm(ctx.form, { id, direction, providers: providers(app), secretName });
  const issues = await saveRecord(app, parsed.record, parsed.newSecrets, undefined);
  if (issues.length) {
    // Keep the other providers' pre-filled values so switching the method still shows them.
    const base = newValues(app, direction);
    const values = {
      ...parsed.values,
      providerValues: { ...base.providerValues, ...parsed.values.providerValues },
    };
    return showForm(app, ctx, { mode: 'new', direction, values, issues, status: 422 });
  }
  addFlash(ctx.session, { kind: 'ok', title: `Saved "${parsed.record.account.label}".` });
  redirect(ctx.res, `/accounts/${id}`);
}

async function withRecord(app: AppState, ctx: RequestContext, then: (r: MailServerRecord) => Promise<void>) {
  const record = await requireRecord(app, ctx.params.id ?? '');
  if (!record) {
    return sendHtml(
      ctx.res,
      404,
      renderMessage(pageContext(ctx), 'Not found', 'There is no such mail account.'),
    );
  }
  return then(record);
}

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

export function accountRoutes(app: AppState): Route[] {
  return [
    route('GET', '/', (ctx) => redirect(ctx.res, '/accounts', 302)),
    route('GET', '/accounts', async (ctx) => {
      const users = (await app.host.config.read()).users;
      sendHtml(ctx.res, 200, renderAccountsPage(pageContext(ctx), await rows(app, 'send'), users));
    }),
    route('GET', '/incoming', async (ctx) => {
      const users = (await app.host.config.read()).users;
      sendHtml(
        ctx.res,
        200,
        renderIncoming(pageContext(ctx), await rows(app, 'receive'), users, protocols(app)),
      );
    }),
    route('GET', '/accounts/new', (ctx) =>
      showForm(app, ctx, { mode: 'new', direction: 'send', values: newValues(app, 'send') }),
    ),
    route('GET', '/incoming/new', (ctx) =>
      showForm(app, ctx, { mode: 'new', direction: 'receive', values: newValues(app, 'receive') }),
    ),
    route('POST', '/accounts', (ctx) => create(app, ctx, 'send')),
    route('POST', '/incoming', (ctx) => create(app, ctx, 'receive')),
    route('GET', '/accounts/:id', (ctx) =>
      withRecord(app, ctx, async (record) => {
        const provider = app.host.registry.describeAuthProvider(record.account.auth.provider);
        const protocol = app.host.registry.describeProtocol(record.account.protocol);
        const deviceRun = app.deviceRuns.get(record.account.id, ctx.session.id);
        // A finished run is shown once.
        if (deviceRun?.status === 'done' || deviceRun?.status === 'failed')
          app.deviceRuns.forget(record.account.id);
        const row: AccountRow = {
          record,
          status: await statusOf(app, record),
          ...(provider ? { provider } : {}),
          ...(protocol ? { protocol } : {}),
        };
        const users = (await app.host.config.read()).users;
        sendHtml(
          ctx.res,
          200,
          renderAccountDetail(pageContext(ctx), { row, users, ...(deviceRun ? { deviceRun } : {}) }),
        );
      }),
    ),
    route('GET', '/accounts/:id/edit', (ctx) =>
      withRecord(app, ctx, async (record) => {
        const direction = directionOf(app, record);
        const base = newValues(app, direction);
        const own = valuesFromRecord(record);
        const values = { ...own, providerValues: { ...base.providerValues, ...own.providerValues } };
        await showForm(app, ctx, { mode: 'edit', direction, values, record });
      }),
    ),
    route('POST', '/accounts/:id', (ctx) =>
      withRecord(app, ctx, async (previous) => {
        const direction = directionOf(app, previous);
        const parsed = parseAccountForm(ctx.form, {
          id: previous.account.id,
          direction,
          providers: providers(app),
          existing: previous,
          secretName,
        });
        const issues = await saveRecord(app, parsed.record, parsed.newSecrets, previous);
        if (issues.length) {
          const base = newValues(app, direction);
          const values = {
            ...parsed.values,
            providerValues: { ...base.providerValues, ...parsed.values.providerValues },
          };
          return showForm(app, ctx, {
            mode: 'edit',
            direction,
            values,
            issues,
            record: previous,
            status: 422,
          });
        }
        addFlash(ctx.session, { kind: 'ok', title: `Saved "${parsed.record.account.label}".` });
        redirect(ctx.res, `/accounts/${previous.account.id}`);
      }),
    ),
    route('GET', '/accounts/:id/registration', (ctx) =>
      withRecord(app, ctx, async (record) => {
        const provider = app.host.registry.describeAuthProvider(record.account.auth.provider);
        if (!provider?.capabilities.interactive)
          return redirect(ctx.res, `/accounts/${record.account.id}`, 302);
        sendHtml(
          ctx.res,
          200,
          renderRegistration(pageContext(ctx), {
            record,
            provider,
            values: record.account.auth.settings,
            storedSecrets: await storedSecrets(app, record),
            issues: [],
            redirectUri: app.redirectUri,
          }),
        );
      }),
    ),
    route('POST', '/accounts/:id/registration', (ctx) =>
      withRecord(app, ctx, async (previous) => {
        const provider = app.host.registry.describeAuthProvider(previous.account.auth.provider);
        if (!provider) return redirect(ctx.res, `/accounts/${previous.account.id}`);
        const parsed = parseProviderSettings(
          provider,
          ctx.form,
          previous.account.auth.settings,
          (key) => secretName(previous.account.id, key),
          'registration',
        );
        const record: MailServerRecord = {
          ...previous,
          account: { ...previous.account, auth: { ...previous.account.auth, settings: parsed.settings } },
        };
        const issues = await saveRecord(app, record, parsed.newSecrets, previous);
        if (issues.length) {
          return sendHtml(
            ctx.res,
            422,
            renderRegistration(pageContext(ctx), {
              record: previous,
              provider,
              values: parsed.settings,
              storedSecrets: await storedSecrets(app, previous),
              issues,
              redirectUri: app.redirectUri,
            }),
          );
        }
        addFlash(ctx.session, {
          kind: 'ok',
          title: 'OAuth client registration saved.',
          text: 'Now authorize: sign in with the mailbox this account sends from.',
        });
        redirect(ctx.res, `/accounts/${previous.account.id}`);
      }),
    ),
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
                  text: report.steps.map((s) => `✓ ${s.label}`).join(' · '),
                }
              : {
                  kind: 'error',
                  title: `Test connection failed at "${failed?.label}".`,
                  ...(failed?.error
                    ? { text: failed.error.message, hint: failed.error.hint, code: failed.error.code }
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
    // The live checklist: one server-sent event per probe step as it finishes.
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
          send('done', { ok: report.ok });
        } catch (error) {
          const e = asMailplugError(error);
          send('failed', { code: e.code, message: e.message, hint: e.hint });
        }
        res.end();
      }),
    ),
    route('POST', '/accounts/:id/send-test', (ctx) =>
      withRecord(app, ctx, async (record) => {
        const to = (ctx.form.get('to') ?? '').trim();
        const actingUser = ctx.form.get('actingUser') ?? undefined;
        const message: OutgoingMessage = {
          to,
          subject: `Test email from Setup → Email (${record.account.label ?? record.account.id})`,
          text: `This is a test email sent from the "${record.account.label ?? record.account.id}" mail account to check that sending works.`,
        };
        try {
          const result = await (await app.host.mailer()).send({
            account: record.account,
            ...(actingUser ? { actingUser } : {}),
            message,
          });
          addFlash(ctx.session, {
            kind: 'ok',
            title: `Test email sent to ${to}.`,
            text: `Check that it arrived. Message id: ${result.messageId}`,
          });
        } catch (error) {
          const e = asMailplugError(error);
          addFlash(ctx.session, {
            kind: 'error',
            title: 'The test email was not sent.',
            text: e.message,
            hint: e.hint,
            code: e.code,
          });
        }
        redirect(ctx.res, `/accounts/${record.account.id}`);
      }),
    ),
    route('POST', '/accounts/:id/delete', (ctx) =>
      withRecord(app, ctx, async (record) => {
        const { id } = record.account;
        let warning: string | undefined;
        try {
          const session = await (await app.host.mailer()).sessionFor(record.account, ADMIN);
          const result = await session.signOut();
          if (result.revocation === 'failed') warning = result.error?.message;
        } catch (error) {
          warning = asMailplugError(error).message;
        }
        await (await app.host.mailer()).forgetAccount(record.account);
        for (const value of Object.values(record.account.auth.settings)) {
          if (isSecretRef(value) && value.secretRef.startsWith(`${id}.`))
            await app.host.secrets.delete(value.secretRef);
        }
        await app.host.config.update((config) => ({
          ...config,
          accounts: config.accounts.filter((r) => r.account.id !== id),
        }));
        addFlash(ctx.session, {
          kind: warning ? 'info' : 'ok',
          title: `Deleted "${record.account.label ?? id}".`,
          ...(warning ? { text: `Deleted despite a sign-out problem: ${warning}` } : {}),
        });
        redirect(ctx.res, directionOf(app, record) === 'send' ? '/accounts' : '/incoming');
      }),
    ),
  ];
}
