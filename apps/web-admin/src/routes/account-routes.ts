import { createAccountKey, isSecretRef } from '@mailplug/core';
import type { MailServerRecord } from '../admin-config.js';
import {
  ADMIN,
  type AppState,
  DEFAULT_FALLBACK_SERVERS,
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
    acceptAnySignInMailbox: false,
    fallbackProtocol: '',
    fallbackHost: '',
    fallbackPort: '',
    fallbackSecurity: 'tls',
    fallbackCaFile: '',
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
        fallbackServers: { ...DEFAULT_FALLBACK_SERVERS, ...app.presets.fallbackServers },
      },
      title,
    ),
  );
}

async function create(app: AppState, ctx: RequestContext, direction: 'send' | 'receive'): Promise<void> {
  const id = await newAccountId(app, ctx.form.get('name') ?? '');
  // The account key is created once, with the account: its tokens live under it, so a later
  // account that reuses the id never finds them.
  const parsed = parseAccountForm(ctx.form, {
    id,
    key: createAccountKey(),
    direction,
    providers: providers(app),
    secretName,
  });
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

export async function withRecord(
  app: AppState,
  ctx: RequestContext,
  then: (r: MailServerRecord) => Promise<void>,
) {
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
        const send = directionOf(app, record) === 'send';
        const outbox = send ? await app.host.outbox.accountStatus(record.account.id) : undefined;
        const fallbackLabel = record.account.fallback
          ? app.host.registry.describeProtocol(record.account.fallback.protocol)?.label
          : undefined;
        sendHtml(
          ctx.res,
          200,
          renderAccountDetail(pageContext(ctx), {
            row,
            users,
            ...(outbox ? { outbox } : {}),
            ...(fallbackLabel ? { fallbackLabel } : {}),
            ...(deviceRun ? { deviceRun } : {}),
          }),
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
          ...(previous.account.key ? { key: previous.account.key } : {}),
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
        // Mail still waiting for this account would fail later with "account removed".
        const waiting = await app.host.outbox.list({
          accountId: id,
          states: ['queued', 'deferred', 'held'],
          limit: 10_000,
        });
        for (const m of waiting) await app.host.outbox.cancel(m.id).catch(() => undefined);
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
