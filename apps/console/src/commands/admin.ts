import { checkFooter, FOOTER_LIMITS, mailplugError, type SettingsField } from '@mailplug/core';
import type { CommandSpec } from '../command.js';
import { stringOption } from '../command.js';
import type { ConfigStore } from '../config-store.js';
import { ConsoleErrorCode } from '../console-errors.js';
import { UsageError } from '../exit-codes.js';
import { formatTable, OK } from '../output.js';

function describeField(f: SettingsField): string {
  const flags = [f.type, f.required ? 'required' : 'optional'];
  if (f.default !== undefined) flags.push(`default ${JSON.stringify(f.default)}`);
  if (f.options) flags.push(`one of ${f.options.map((o) => o.value).join('|')}`);
  if (f.when) flags.push(`when ${f.when.key}=${String(f.when.equals)}`);
  return `    ${f.key.padEnd(26)} ${f.label} (${flags.join(', ')})${f.description ? `\n${' '.repeat(31)}${f.description}` : ''}`;
}

const providers: CommandSpec = {
  name: 'providers',
  summary:
    'What the registry offers — sign-in methods with their settings, and protocols — read from manifests without loading adapters.',
  examples: ['mailplug-console providers', 'mailplug-console providers --json'],
  async run(ctx) {
    const contributions = ctx.host().registry.list();
    const auth = contributions.filter((c) => c.kind === 'authProvider');
    const protocols = contributions.filter((c) => c.kind === 'protocol');
    ctx.print('Sign-in methods:');
    for (const p of auth) {
      const caps = p.capabilities;
      const modes = [
        caps.interactive && 'interactive sign-in',
        caps.deviceCode && 'device code',
        caps.appOnly && 'app-only',
      ]
        .filter(Boolean)
        .join(', ');
      ctx.print(`\n  ${p.id} — ${p.label}`);
      ctx.print(
        `    package ${p.packageName}; protocols ${p.protocols.join(', ')}; ${caps.credentialKind}${modes ? `; ${modes}` : ''}; activated: ${p.activated}`,
      );
      for (const f of p.settingsSchema.fields) ctx.print(describeField(f));
      for (const r of p.settingsSchema.rules ?? []) ctx.print(`    rule: ${r.message}`);
    }
    ctx.print('\nProtocols:');
    ctx.print(
      formatTable(
        ['ID', 'DIRECTION', 'PORTS (starttls/tls/none)', 'PACKAGE', 'ACTIVATED', 'NOTE'],
        protocols.map((p) => [
          p.id,
          p.direction,
          `${p.defaultPorts.starttls}/${p.defaultPorts.tls}/${p.defaultPorts.none}`,
          p.packageName,
          String(p.activated),
          p.deprecated ? `deprecated since ${p.deprecated.since}` : '',
        ]),
      ),
    );
    ctx.emit({ ok: true, authProviders: auth, protocols });
    return undefined;
  },
};

/** Adds a user or changes their permission, under the config file's lock. */
async function updateUsers(config: ConfigStore, id: string, allow: boolean, create: boolean): Promise<void> {
  await config.update((current) => {
    const exists = current.users.some((u) => u.id === id);
    if (!exists && !create) {
      throw mailplugError(
        ConsoleErrorCode.UserNotFound,
        'admin',
        `There is no user "${id}".`,
        `Add the user first with "mailplug-console users add ${id}".`,
      );
    }
    if (exists && create) {
      throw mailplugError(
        ConsoleErrorCode.UserExists,
        'admin',
        `The user "${id}" already exists.`,
        `Use "users allow ${id}" or "users deny ${id}" to change the permission.`,
      );
    }
    const users = exists
      ? current.users.map((u) => (u.id === id ? { ...u, sendOnBehalfOfOrganization: allow } : u))
      : [...current.users, { id, sendOnBehalfOfOrganization: allow }];
    return { ...current, users };
  });
}

const userId = (positionals: readonly string[]) => {
  const id = positionals[0];
  if (!id) throw new UsageError('Missing <user>.');
  return id;
};

const usersAdd: CommandSpec = {
  name: 'users add',
  summary: 'Add a host user; "send on behalf of organization" is allowed by default, --deny to refuse.',
  args: '<user>',
  options: { deny: { type: 'boolean' } },
  optionHelp: [['--deny', 'create the user with the permission set to Deny']],
  examples: ['mailplug-console users add alice', 'mailplug-console users add temp --deny'],
  async run(ctx) {
    const id = userId(ctx.positionals);
    const { config } = ctx.host();
    const allow = ctx.values.deny !== true;
    await updateUsers(config, id, allow, true);
    ctx.print(`${OK} Added user "${id}" (send on behalf of organization: ${allow ? 'Allow' : 'Deny'}).`);
    ctx.emit({ ok: true, user: { id, sendOnBehalfOfOrganization: allow } });
    return undefined;
  },
};

const usersList: CommandSpec = {
  name: 'users list',
  summary: 'List host users and their "send on behalf of organization" permission.',
  async run(ctx) {
    const { users } = await ctx.host().config.read();
    if (users.length === 0) ctx.print('No users yet. Add one with "mailplug-console users add <user>".');
    else
      ctx.print(
        formatTable(
          ['USER', 'SEND ON BEHALF OF ORGANIZATION'],
          users.map((u) => [u.id, u.sendOnBehalfOfOrganization ? 'Allow' : 'Deny']),
        ),
      );
    ctx.emit({ ok: true, users });
    return undefined;
  },
};

function permissionCommand(allow: boolean): CommandSpec {
  return {
    name: allow ? 'users allow' : 'users deny',
    summary: `${allow ? 'Allow' : 'Deny'} a user sending from organization accounts.`,
    args: '<user>',
    examples: [`mailplug-console users ${allow ? 'allow' : 'deny'} alice`],
    async run(ctx) {
      const id = userId(ctx.positionals);
      const { config } = ctx.host();
      await updateUsers(config, id, allow, false);
      ctx.print(`${OK} "${id}": send on behalf of organization set to ${allow ? 'Allow' : 'Deny'}.`);
      ctx.emit({ ok: true, user: { id, sendOnBehalfOfOrganization: allow } });
      return undefined;
    },
  };
}

const footerSet: CommandSpec = {
  name: 'footer set',
  summary: `Set the footer appended to every outgoing message (plain text ≤ ${FOOTER_LIMITS.text}, HTML ≤ ${FOOTER_LIMITS.html} characters).`,
  options: { text: { type: 'string' }, html: { type: 'string' }, clear: { type: 'boolean' } },
  optionHelp: [
    ['--text <text>', `plain-text footer (max ${FOOTER_LIMITS.text} characters)`],
    ['--html <html>', `HTML footer (max ${FOOTER_LIMITS.html} characters)`],
    ['--clear', 'remove the footer'],
  ],
  examples: ['mailplug-console footer set --text "This address is not monitored. Call 07 1234 5678."'],
  async run(ctx) {
    const text = stringOption(ctx.values, 'text');
    const html = stringOption(ctx.values, 'html');
    const clear = ctx.values.clear === true;
    if (!clear && text === undefined && html === undefined)
      throw new UsageError('Give --text, --html or --clear.');
    const footer = clear
      ? undefined
      : { ...(text !== undefined ? { text } : {}), ...(html !== undefined ? { html } : {}) };
    checkFooter(footer);
    await ctx.host().config.update((current) => {
      const { footer: _old, ...rest } = current;
      return footer ? { ...rest, footer } : rest;
    });
    ctx.print(
      footer
        ? `${OK} Footer set${footer.text !== undefined ? ` (text: ${footer.text.length}/${FOOTER_LIMITS.text})` : ''}${footer.html !== undefined ? ` (HTML: ${footer.html.length}/${FOOTER_LIMITS.html})` : ''}.`
        : `${OK} Footer removed.`,
    );
    ctx.emit({ ok: true, footer: footer ?? null });
    return undefined;
  },
};

const footerShow: CommandSpec = {
  name: 'footer show',
  summary: 'Show the outgoing footer.',
  async run(ctx) {
    const { footer } = await ctx.host().config.read();
    ctx.print(footer ? JSON.stringify(footer, null, 2) : 'No footer is set.');
    ctx.emit({ ok: true, footer: footer ?? null });
    return undefined;
  },
};

export const adminCommands: readonly CommandSpec[] = [
  providers,
  usersAdd,
  usersList,
  permissionCommand(true),
  permissionCommand(false),
  footerSet,
  footerShow,
];
