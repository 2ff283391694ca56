import { readFile } from 'node:fs/promises';
import {
  type AccountValidationIssue,
  accountInvalidError,
  CoreErrorCode,
  checkFooter,
  createAccountKey,
  exportAccount,
  isMailplugError,
  isSecretRef,
  type MailAccount,
  mailplugError,
  type Registry,
  validateAccount,
  writeFileAtomic,
} from '@mailplug/core';
import type { CommandContext, CommandSpec } from '../command.js';
import { stringOption } from '../command.js';
import type { ConsoleConfig, ConsoleUser } from '../config-store.js';
import { findAccount } from '../config-store.js';
import { ConsoleErrorCode } from '../console-errors.js';
import { UsageError } from '../exit-codes.js';
import { formatTable, OK, readAllStdin } from '../output.js';
import type { ConsoleSecretStore } from '../secret-file.js';
import { renderSignOut, signOutBestEffort } from '../sign-out.js';
import { oneLine, toJsonText } from '../terminal-text.js';
import { ACCOUNT_OPTION_HELP, ACCOUNT_OPTIONS, applyAccountFlags, readsStdin } from './account-flags.js';
import { assertDistinctId, assertOwnSecretRefs, secretsToDelete } from './account-secrets.js';

/** The file format of `accounts export` (and what `accounts import` reads). */
export const EXPORT_FORMAT = 'mailplug-console/accounts';

function requireId(ctx: CommandContext, what = '<account>'): string {
  const id = ctx.positionals[0];
  if (!id) throw new UsageError(`Missing ${what}.`);
  return id;
}

/**
 * `accounts add` and `accounts edit`: builds the account from the flags, validates it fully, and
 * only then stores its secrets and the configuration — all under the config file's lock, so
 * concurrent consoles never lose each other's accounts or secrets.
 */
async function saveAccountFromFlags(
  ctx: CommandContext,
  id: string,
  mode: 'add' | 'edit',
): Promise<MailAccount> {
  const host = ctx.host();
  const { registry, secrets } = host;
  // Read before the lock: a person typing a password must not hold up other consoles.
  const stdinText = readsStdin(ctx.values) ? await readAllStdin(ctx.io.stdin) : undefined;
  const build = async (current: MailAccount | undefined) => {
    const built = applyAccountFlags(current, id, ctx.values, registry, stdinText, ctx.io.env);
    const issues = await validateAccount(built.account, { registry });
    if (issues.length > 0) throw accountInvalidError(issues, id);
    return built;
  };
  // A new account does not depend on the file, so it is built and validated before locking.
  const added = mode === 'add' ? await build(undefined) : undefined;
  let saved: MailAccount | undefined;
  await host.config.update(async (config) => {
    if (mode === 'add') assertNewId(config, id, secrets.variableFor);
    const { account, secretValues, secretRefs } = added ?? (await build(findAccount(config, id)));
    assertOwnSecretRefs(config, id, secretRefs, secrets.variableFor);
    for (const [name, value] of Object.entries(secretValues)) await secrets.set(name, value);
    saved = account;
    const accounts =
      mode === 'add'
        ? [...config.accounts, account]
        : config.accounts.map((a) => (a.id === id ? account : a));
    return { ...config, accounts };
  });
  const account = saved as MailAccount;
  ctx.emit({ ok: true, account: exportAccount(account, { registry }).account });
  return account;
}

function assertNewId(config: ConsoleConfig, id: string, variableFor: (name: string) => string): void {
  if (config.accounts.some((a) => a.id === id)) {
    throw mailplugError(
      ConsoleErrorCode.AccountExists,
      'admin',
      `An account "${id}" already exists.`,
      `Use "accounts edit ${id}" or choose another id.`,
    );
  }
  assertDistinctId(config, id, variableFor);
}

/** Secret settings of an account and where each value currently comes from. */
async function secretStatus(account: MailAccount, secrets: ConsoleSecretStore) {
  const out: { setting: string; secretRef: string; source: string }[] = [];
  for (const [key, value] of Object.entries(account.auth.settings)) {
    if (!isSecretRef(value)) continue;
    const where = await secrets.where(value.secretRef);
    out.push({
      setting: key,
      secretRef: value.secretRef,
      source:
        where === 'file'
          ? 'secret file'
          : where === 'env'
            ? `env ${secrets.variableFor(value.secretRef)}`
            : 'MISSING',
    });
  }
  return out;
}

function describeScope(account: MailAccount): string {
  return account.scope.kind === 'user' ? `user:${account.scope.owner}` : account.scope.kind;
}

const add: CommandSpec = {
  name: 'accounts add',
  summary: 'Add a mail account (validated against the provider manifest before anything is written).',
  args: '<id>',
  options: ACCOUNT_OPTIONS,
  optionHelp: ACCOUNT_OPTION_HELP,
  examples: [
    'printf %s "$PASSWORD" | mailplug-console accounts add office --host smtp.example.com --provider basic --setting username=office@example.com --password-stdin --from office@example.com',
    'mailplug-console accounts add gmail --host smtp.gmail.com --provider gmail-oauth --setting clientId=123.apps.googleusercontent.com --secret-env clientSecret=GOOGLE_CLIENT_SECRET --setting redirectUri=http://127.0.0.1 --from practice@gmail.com --scope user --owner alice',
  ],
  async run(ctx) {
    const id = requireId(ctx, '<id>');
    const account = await saveAccountFromFlags(ctx, id, 'add');
    ctx.print(
      `${OK} Added account "${id}" (${account.protocol} via ${account.auth.provider}, ${describeScope(account)}).`,
    );
    return undefined;
  },
};

const edit: CommandSpec = {
  name: 'accounts edit',
  summary: 'Change an account; the result is validated before it replaces the old one.',
  args: '<id>',
  options: ACCOUNT_OPTIONS,
  optionHelp: ACCOUNT_OPTION_HELP,
  examples: ['mailplug-console accounts edit office --port 465 --security tls'],
  async run(ctx) {
    const id = requireId(ctx);
    await saveAccountFromFlags(ctx, id, 'edit');
    ctx.print(`${OK} Updated account "${id}".`);
    return undefined;
  },
};

const list: CommandSpec = {
  name: 'accounts list',
  summary: 'List the configured accounts.',
  examples: ['mailplug-console accounts list --json'],
  async run(ctx) {
    const host = ctx.host();
    const { accounts } = await host.config.read();
    if (accounts.length === 0) ctx.print('No accounts yet. Add one with "mailplug-console accounts add".');
    else {
      ctx.print(
        formatTable(
          ['ID', 'PROTOCOL', 'SIGN-IN', 'SERVER', 'SECURITY', 'SCOPE', 'FROM'],
          accounts.map((a) => [
            a.id,
            a.protocol,
            a.auth.provider,
            `${a.server.host}:${a.server.port}`,
            a.server.security,
            describeScope(a),
            a.identity?.fromAddress ?? '',
          ]),
        ),
      );
    }
    ctx.emit({
      ok: true,
      accounts: accounts.map((a) => exportAccount(a, { registry: host.registry }).account),
    });
    return undefined;
  },
};

const show: CommandSpec = {
  name: 'accounts show',
  summary: 'Show one account (secrets only as references, with where each value comes from).',
  args: '<id>',
  examples: ['mailplug-console accounts show office'],
  async run(ctx) {
    const id = requireId(ctx);
    const host = ctx.host();
    const account = findAccount(await host.config.read(), id);
    const safe = exportAccount(account, { registry: host.registry }).account;
    const secrets = await secretStatus(account, host.secrets);
    ctx.print(JSON.stringify(safe, null, 2));
    for (const s of secrets) ctx.print(`secret ${s.setting} → "${s.secretRef}": ${s.source}`);
    ctx.emit({ ok: true, account: safe, secrets });
    return undefined;
  },
};

const remove: CommandSpec = {
  name: 'accounts remove',
  summary:
    'Sign the account out (best effort: revoke where supported, forget its tokens), then remove it and the secrets the console stored for it.',
  args: '<id>',
  examples: ['mailplug-console accounts remove office'],
  async run(ctx) {
    const id = requireId(ctx);
    const host = ctx.host();
    const config = await host.config.read();
    const account = findAccount(config, id);
    // Sign out first, while the account's settings and secrets (e.g. the client secret the
    // revocation needs) still exist. A failure here is a warning: the removal goes ahead.
    const signOut = await signOutBestEffort(host, config, account);
    const rendered = renderSignOut(host, signOut);
    for (const line of rendered.lines) ctx.print(line);
    for (const warning of rendered.warnings) ctx.progress(warning);
    await host.config.update(async (current) => {
      const remaining = current.accounts.filter((a) => a.id !== id);
      // Only the secrets the console stored for this account, and none another account still uses.
      for (const name of secretsToDelete(account, remaining)) await host.secrets.delete(name);
      return { ...current, accounts: remaining };
    });
    ctx.print(`${OK} Removed account "${id}".`);
    if (rendered.warnings.length > 0)
      ctx.progress(
        `! "${id}" was removed despite the sign-out warning${rendered.warnings.length === 1 ? '' : 's'} above.`,
      );
    ctx.emit({ ok: true, removed: id, signOut });
    return undefined;
  },
};

const exportCommand: CommandSpec = {
  name: 'accounts export',
  summary: 'Write accounts, users and footer as JSON without any secret (references only).',
  options: { output: { type: 'string', short: 'o' } },
  optionHelp: [['--output, -o <file>', 'write to a file (atomic) instead of stdout']],
  examples: ['mailplug-console accounts export -o backup.json'],
  async run(ctx) {
    const host = ctx.host();
    const config = await host.config.read();
    const dropped: { account: string; path: string; fix: string }[] = [];
    const accounts = config.accounts.map((a) => {
      const result = exportAccount(a, { registry: host.registry });
      for (const d of result.dropped) dropped.push({ account: a.id, path: d.path, fix: d.fix });
      return result.account;
    });
    const document = {
      format: EXPORT_FORMAT,
      version: 1,
      accounts,
      users: config.users,
      ...(config.footer ? { footer: config.footer } : {}),
    };
    for (const d of dropped)
      ctx.progress(`! left out ${oneLine(d.account)} ${oneLine(d.path)}: ${oneLine(d.fix)}`);
    const output = stringOption(ctx.values, 'output');
    if (output) {
      const text = `${JSON.stringify(document, null, 2)}\n`;
      await writeFileAtomic(output, text, { mode: 0o644 });
      ctx.print(`${OK} Exported ${accounts.length} account(s) to ${output} (secrets are references only).`);
      ctx.emit({ ok: true, file: output, accounts: accounts.length, dropped });
    } else {
      ctx.io.stdout.write(toJsonText(document));
    }
    return undefined;
  },
};

const importCommand: CommandSpec = {
  name: 'accounts import',
  summary: 'Import an export file; every account is validated first, and nothing is written unless all pass.',
  args: '<file>',
  options: { replace: { type: 'boolean' } },
  optionHelp: [['--replace', 'replace accounts with the same id (default: an existing id is an issue)']],
  examples: ['mailplug-console accounts import backup.json'],
  async run(ctx) {
    const file = requireId(ctx, '<file>');
    const host = ctx.host();
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw mailplugError(
        CoreErrorCode.ConfigInvalid,
        'admin',
        `Cannot read ${file}.`,
        'Check the path and permissions of the import file.',
        { cause },
      );
    }
    const replace = ctx.values.replace === true;
    let before = 0;
    let warnings: string[] = [];
    const next = await host.config.update(async (config) => {
      const plan = await planImport(text, config, host.registry, host.secrets, replace);
      if (plan.issues.length > 0) {
        throw mailplugError(
          CoreErrorCode.ConfigInvalid,
          'admin',
          `The import file ${file} has ${plan.issues.length} problem${plan.issues.length === 1 ? '' : 's'}; nothing was imported.`,
          'Fix every issue listed below and import the file again.',
          { details: { issues: plan.issues } },
        );
      }
      before = config.accounts.length;
      warnings = plan.warnings;
      return plan.next;
    });
    for (const w of warnings) ctx.progress(`! ${oneLine(w)}`);
    const count = next.accounts.length - before;
    ctx.print(
      `${OK} Imported ${file}: ${next.accounts.length} account(s) now configured${count > 0 ? ` (${count} new)` : ''}.`,
    );
    ctx.emit({ ok: true, accounts: next.accounts.map((a) => a.id), warnings });
    return undefined;
  },
};

/** Validates an import completely and computes the new configuration without writing it. */
async function planImport(
  text: string,
  config: ConsoleConfig,
  registry: Registry,
  secrets: ConsoleSecretStore,
  replace: boolean,
): Promise<{ next: ConsoleConfig; issues: AccountValidationIssue[]; warnings: string[] }> {
  const issues: AccountValidationIssue[] = [];
  const warnings: string[] = [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    issues.push({
      path: '',
      message: 'The file is not valid JSON.',
      fix: 'Fix the JSON syntax (quotes, commas, brackets).',
    });
    return { next: config, issues, warnings };
  }
  const obj = (doc ?? {}) as { format?: unknown; accounts?: unknown; users?: unknown; footer?: unknown };
  const rawAccounts: unknown[] = Array.isArray(doc) ? doc : Array.isArray(obj.accounts) ? obj.accounts : [];
  if (!Array.isArray(doc) && !Array.isArray(obj.accounts)) {
    issues.push({
      path: 'accounts',
      message: 'The file has no "accounts" list.',
      fix: `Import a file written by "accounts export" (format "${EXPORT_FORMAT}") or a JSON array of accounts.`,
    });
  }
  const seen = new Set<string>();
  const imported: MailAccount[] = [];
  for (const [i, raw] of rawAccounts.entries()) {
    const id = (raw as { id?: unknown } | null)?.id;
    const label = `accounts[${i}]${typeof id === 'string' ? ` (${id})` : ''}`;
    for (const issue of await validateAccount(raw, { registry })) {
      issues.push({ ...issue, path: issue.path ? `${label}.${issue.path}` : label });
    }
    if (typeof id === 'string') {
      if (seen.has(id)) {
        issues.push({
          path: `${label}.id`,
          message: `The id "${id}" appears twice in the file.`,
          fix: 'Give every account a unique id.',
        });
      } else if (!replace && config.accounts.some((a) => a.id === id)) {
        issues.push({
          path: `${label}.id`,
          message: `An account "${id}" is already configured.`,
          fix: 'Remove it first, rename the imported account, or import with --replace.',
        });
      } else {
        const variable = secrets.variableFor(id);
        const twin = [...seen, ...config.accounts.map((a) => a.id)].find(
          (other) => other !== id && secrets.variableFor(other) === variable,
        );
        if (twin !== undefined) {
          issues.push({
            path: `${label}.id`,
            message: `The id "${id}" and "${twin}" would share the secret variables ${variable}_….`,
            fix: 'Give the accounts ids that differ in more than case and punctuation.',
          });
        }
      }
      seen.add(id);
    }
    // Tokens live under the account key; an account without one gets one (the one it replaces keeps its own).
    const existingKey = config.accounts.find((a) => a.id === id)?.key;
    const key = (raw as { key?: string } | null)?.key ?? existingKey ?? createAccountKey();
    imported.push({ ...(raw as MailAccount), key });
  }
  let users: ConsoleUser[] = [...config.users];
  if (obj.users !== undefined) {
    if (
      !Array.isArray(obj.users) ||
      obj.users.some((u) => typeof u?.id !== 'string' || typeof u?.sendOnBehalfOfOrganization !== 'boolean')
    ) {
      issues.push({
        path: 'users',
        message: 'Users must be a list of { "id": string, "sendOnBehalfOfOrganization": boolean }.',
        fix: 'Correct the users list or remove it from the file.',
      });
    } else {
      const incoming = obj.users as ConsoleUser[];
      users = [...users.filter((u) => !incoming.some((n) => n.id === u.id)), ...incoming];
    }
  }
  let footer = config.footer;
  if (obj.footer !== undefined) {
    try {
      checkFooter(obj.footer as ConsoleConfig['footer']);
      footer = obj.footer as ConsoleConfig['footer'];
    } catch (error) {
      if (!isMailplugError(error)) throw error;
      issues.push({ path: 'footer', message: error.message, fix: error.hint });
    }
  }
  for (const account of imported) {
    for (const [key, value] of Object.entries(account.auth?.settings ?? {})) {
      if (isSecretRef(value) && !(await secrets.where(value.secretRef))) {
        warnings.push(
          `${account.id}: secret "${value.secretRef}" (${key}) is not set yet; provide it with "accounts edit ${account.id} --secret-stdin ${key}" or ${secrets.variableFor(value.secretRef)}.`,
        );
      }
    }
  }
  const ids = new Set(imported.map((a) => a.id));
  const next: ConsoleConfig = {
    ...config,
    accounts: [...config.accounts.filter((a) => !ids.has(a.id)), ...imported],
    users,
    ...(footer ? { footer } : {}),
  };
  return { next, issues, warnings };
}

export const accountCommands: readonly CommandSpec[] = [
  add,
  edit,
  list,
  show,
  remove,
  exportCommand,
  importCommand,
];
