import {
  checkFooter,
  createAccountKey,
  exportAccount,
  isMailplugError,
  type MailAccount,
  type MailFooter,
  type ValidationIssue,
  validateAccount,
} from '@mailplug/core';
import type { AdminConfig, AdminUser, MailServerRecord } from '../admin-config.js';
import type { AppState } from '../app-state.js';
import { addFlash, type Route, redirect, route, sendHtml } from '../http/router.js';
import { renderFooter } from '../pages/footer.js';
import { renderTransfer } from '../pages/transfer.js';
import { renderUsers } from '../pages/users.js';
import { pageContext } from './context.js';

const EXPORT_FORMAT = 'mailplug-web-admin';

interface ExportFile {
  readonly format: typeof EXPORT_FORMAT;
  readonly version: 1;
  readonly accounts: readonly MailServerRecord[];
  readonly users: readonly AdminUser[];
  readonly footer?: MailFooter;
  /** What was left out because it was (or looked like) a secret. */
  readonly leftOut: readonly ValidationIssue[];
}

export function adminRoutes(app: AppState): Route[] {
  const { config } = app.host;
  return [
    route('GET', '/users', async (ctx) => {
      sendHtml(ctx.res, 200, renderUsers(pageContext(ctx), (await config.read()).users));
    }),
    route('POST', '/users', async (ctx) => {
      const id = (ctx.form.get('id') ?? '').trim();
      const name = (ctx.form.get('name') ?? '').trim() || id;
      const current = await config.read();
      const problem = !/^[A-Za-z0-9._@-]+$/.test(id)
        ? 'Enter a login of letters, digits and . _ @ - only.'
        : current.users.some((u) => u.id === id)
          ? `A user "${id}" already exists.`
          : undefined;
      if (problem) return sendHtml(ctx.res, 422, renderUsers(pageContext(ctx), current.users, problem));
      // "Send email on behalf of organization" starts as Allow, as in the host guides.
      await config.update((c) => ({
        ...c,
        users: [...c.users, { id, name, sendOnBehalfOfOrganization: true }],
      }));
      addFlash(ctx.session, { kind: 'ok', title: `Added ${name} (send on behalf of organization: Allow).` });
      redirect(ctx.res, '/users');
    }),
    route('POST', '/users/:id/permission', async (ctx) => {
      const allow = ctx.form.get('permission') === 'allow';
      await config.update((c) => ({
        ...c,
        users: c.users.map((u) => (u.id === ctx.params.id ? { ...u, sendOnBehalfOfOrganization: allow } : u)),
      }));
      addFlash(ctx.session, {
        kind: 'ok',
        title: `${ctx.params.id}: send email on behalf of organization — ${allow ? 'Allow' : 'Deny'} access.`,
      });
      redirect(ctx.res, '/users');
    }),
    route('POST', '/users/:id/delete', async (ctx) => {
      await config.update((c) => ({ ...c, users: c.users.filter((u) => u.id !== ctx.params.id) }));
      addFlash(ctx.session, { kind: 'ok', title: `Removed ${ctx.params.id}.` });
      redirect(ctx.res, '/users');
    }),
    route('GET', '/footer', async (ctx) => {
      sendHtml(ctx.res, 200, renderFooter(pageContext(ctx), (await config.read()).footer));
    }),
    route('POST', '/footer', async (ctx) => {
      const text = (ctx.form.get('text') ?? '').replace(/\r\n/g, '\n');
      const html = (ctx.form.get('html') ?? '').replace(/\r\n/g, '\n');
      const footer: MailFooter = { ...(text.trim() ? { text } : {}), ...(html.trim() ? { html } : {}) };
      try {
        checkFooter(footer);
      } catch (error) {
        if (!isMailplugError(error)) throw error;
        const kind = String(error.details?.kind ?? 'text');
        return sendHtml(
          ctx.res,
          422,
          renderFooter(pageContext(ctx), footer, { kind, text: `${error.message} ${error.hint}` }),
        );
      }
      await config.update((c) => {
        const { footer: _old, ...rest } = c;
        return footer.text || footer.html ? { ...rest, footer } : rest;
      });
      app.host.footerChanged();
      addFlash(ctx.session, {
        kind: 'ok',
        title: 'Footer saved.',
        text: 'It is added to every email sent from now on.',
      });
      redirect(ctx.res, '/footer');
    }),
    route('GET', '/transfer', (ctx) => sendHtml(ctx.res, 200, renderTransfer(pageContext(ctx)))),
    route('GET', '/export.json', async (ctx) => {
      const current = await config.read();
      const leftOut: ValidationIssue[] = [];
      const accounts = current.accounts.map((record) => {
        const { account, dropped } = exportAccount(record.account, { registry: app.host.registry });
        leftOut.push(...dropped.map((d) => ({ ...d, path: `${record.account.id}: ${d.path}` })));
        // The account key names this installation's token namespace; an import creates its own.
        const { key: _key, ...portable } = account;
        return { ...record, account: portable };
      });
      const file: ExportFile = {
        format: EXPORT_FORMAT,
        version: 1,
        accounts,
        users: current.users,
        ...(current.footer ? { footer: current.footer } : {}),
        leftOut,
      };
      ctx.res.setHeader('Content-Type', 'application/json; charset=utf-8');
      ctx.res.setHeader('Content-Disposition', 'attachment; filename="mailplug-email-setup.json"');
      ctx.res.end(`${JSON.stringify(file, null, 2)}\n`);
    }),
    route('POST', '/import', async (ctx) => {
      const text = ctx.form.get('json') ?? '';
      const { issues, file } = await parseImport(app, text);
      if (!file || issues.length) {
        return sendHtml(ctx.res, 422, renderTransfer(pageContext(ctx), issues, text));
      }
      // An imported account replaces the one with its id: the old one's tokens go with it.
      const replaced = (await config.read()).accounts.filter((r) =>
        file.accounts.some((i) => i.account.id === r.account.id),
      );
      const mailer = await app.host.mailer();
      for (const r of replaced) await mailer.forgetAccount(r.account);
      await config.update((c): AdminConfig => {
        const ids = new Set(file.accounts.map((r) => r.account.id));
        const users = new Map(c.users.map((u) => [u.id, u]));
        for (const u of file.users) users.set(u.id, u);
        // Imported accounts are new here: a fresh key, so they never meet tokens stored under an
        // account that had the same id before.
        const imported = file.accounts.map((r) => ({
          ...r,
          account: { ...r.account, key: createAccountKey() },
        }));
        return {
          ...c,
          accounts: [...c.accounts.filter((r) => !ids.has(r.account.id)), ...imported],
          users: [...users.values()],
          ...(file.footer ? { footer: file.footer } : {}),
        };
      });
      app.host.footerChanged();
      addFlash(ctx.session, {
        kind: 'ok',
        title: `Imported ${file.accounts.length} account${file.accounts.length === 1 ? '' : 's'} and ${file.users.length} user${file.users.length === 1 ? '' : 's'}.`,
        text: 'Enter the secrets of each imported account again (they are never exported).',
      });
      redirect(ctx.res, '/accounts');
    }),
  ];
}

async function parseImport(
  app: AppState,
  text: string,
): Promise<{ issues: ValidationIssue[]; file?: ExportFile }> {
  let value: Partial<ExportFile>;
  try {
    value = JSON.parse(text) as Partial<ExportFile>;
  } catch {
    return {
      issues: [
        {
          path: 'file',
          message: 'The file is not valid JSON.',
          fix: 'Choose a file downloaded with "Download export".',
        },
      ],
    };
  }
  if (value?.format !== EXPORT_FORMAT || value.version !== 1 || !Array.isArray(value.accounts)) {
    return {
      issues: [
        {
          path: 'file',
          message: 'This is not an export of these screens.',
          fix: 'Choose a file downloaded with "Download export".',
        },
      ],
    };
  }
  const issues: ValidationIssue[] = [];
  const accounts: MailServerRecord[] = [];
  for (const [i, record] of value.accounts.entries()) {
    const account = (record as Partial<MailServerRecord>)?.account as MailAccount | undefined;
    const found = await validateAccount(account, { registry: app.host.registry });
    issues.push(
      ...found.map((f) => ({
        ...f,
        path: `accounts[${i}]${account?.id ? ` (${account.id})` : ''}.${f.path}`,
      })),
    );
    if (account) accounts.push(record as MailServerRecord);
  }
  const users = Array.isArray(value.users) ? value.users.filter((u) => typeof u?.id === 'string') : [];
  try {
    checkFooter(value.footer);
  } catch (error) {
    if (isMailplugError(error)) issues.push({ path: 'footer', message: error.message, fix: error.hint });
  }
  return {
    issues,
    file: {
      format: EXPORT_FORMAT,
      version: 1,
      accounts,
      users,
      ...(value.footer ? { footer: value.footer } : {}),
      leftOut: [],
    },
  };
}
