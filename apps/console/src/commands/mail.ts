import { type AuthorizationState, type DiagnosticStep, SILENCE_DEPRECATION_ENV } from '@mailplug/core';
import type { CommandContext, CommandSpec } from '../command.js';
import { listOption, stringOption } from '../command.js';
import { findAccount } from '../config-store.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import {
  ADMIN,
  checkAuthorization,
  checkKnownUser,
  listMessages,
  messageBody,
  renderAuthorization,
  renderStep,
  sendMessage,
  signIn,
  testConnection,
} from '../operations.js';
import { renderHold } from '../outbox-view.js';
import { FAIL, formatTable, OK } from '../output.js';
import { renderSignOut, signOutAccount } from '../sign-out.js';
import { oneLine } from '../terminal-text.js';

async function accountFrom(ctx: CommandContext) {
  const id = ctx.positionals[0];
  if (!id) throw new UsageError('Missing <account>.');
  const host = ctx.host();
  const config = await host.config.read();
  return { host, config, account: findAccount(config, id) };
}

const EXIT_FOR_STATE: Record<AuthorizationState, ExitCode> = {
  authorized: ExitCode.Ok,
  signInRequired: ExitCode.SignInRequired,
  reauthRequired: ExitCode.SignInRequired,
  temporarilyUnavailable: ExitCode.TryAgainLater,
  misconfigured: ExitCode.ConfigInvalid,
};

const check: CommandSpec = {
  name: 'check',
  summary: 'Check Authorization: which mailbox the account is signed in as, which scopes, when it expires.',
  args: '<account>',
  examples: ['mailplug-console check gmail'],
  async run(ctx) {
    const { host, config, account } = await accountFrom(ctx);
    const status = await checkAuthorization(await host.mailer(config), account);
    for (const line of renderAuthorization(account, status)) ctx.print(line);
    ctx.emit({
      ok: status.state === 'authorized',
      accountId: account.id,
      ...status,
      error: status.error?.toJSON(),
    });
    return EXIT_FOR_STATE[status.state] ?? ExitCode.Failed;
  },
};

const signInCommand: CommandSpec = {
  name: 'sign-in',
  summary:
    'Sign the account in: prints a URL to open (loopback redirect), or a device code for Microsoft delegated.',
  args: '<account>',
  options: { 'device-code': { type: 'boolean' }, port: { type: 'string' }, timeout: { type: 'string' } },
  optionHelp: [
    ['--device-code', 'headless: show a code to enter at the provider (Microsoft 365 delegated)'],
    ['--port <n>', 'loopback port for the redirect (default: any free port)'],
    ['--timeout <seconds>', 'how long to wait for the browser (default 300)'],
  ],
  examples: ['mailplug-console sign-in gmail', 'mailplug-console sign-in office365 --device-code'],
  async run(ctx) {
    const { host, config, account } = await accountFrom(ctx);
    const timeout = stringOption(ctx.values, 'timeout');
    const port = stringOption(ctx.values, 'port');
    const identity = await signIn(await host.mailer(config), host.registry, account, {
      deviceCode: ctx.values['device-code'] === true,
      ...(timeout ? { timeoutMs: Number(timeout) * 1000 } : {}),
      ...(port ? { port: Number(port) } : {}),
      openUrl: (url) => {
        // The URL goes to stderr with --json so stdout stays one JSON document.
        const say = ctx.json ? ctx.progress : ctx.print;
        say(
          `Open this URL in a browser to sign in (waiting for the redirect back to this machine):\n\n  ${url}\n`,
        );
        return ctx.io.openUrl?.(url);
      },
      onDeviceCode: (prompt) => {
        const say = ctx.json ? ctx.progress : ctx.print;
        say(
          `${oneLine(prompt.message)}\n  code: ${oneLine(prompt.userCode)}  at ${oneLine(prompt.verificationUri)}`,
        );
        return ctx.io.onDeviceCode?.(prompt);
      },
    });
    if (!identity) {
      ctx.print(`${OK} ${account.id} uses ${account.auth.provider}, which needs no interactive sign-in.`);
      ctx.emit({ ok: true, accountId: account.id, signInNeeded: false });
      return undefined;
    }
    ctx.print(
      `${OK} Signed in as ${oneLine(identity.mailbox)}${identity.displayName ? ` (${oneLine(identity.displayName)})` : ''}.`,
    );
    // A worker in another process cannot see this sign-in: release the account's hold in the
    // shared outbox file, so its held messages are due again.
    const released = host.hasOutbox() ? await (await host.outbox()).release(account.id) : 0;
    if (released > 0)
      ctx.print(
        `${OK} Released ${released} held message${released === 1 ? '' : 's'}; a running worker ("mailplug-console worker") sends them.`,
      );
    ctx.emit({ ok: true, accountId: account.id, identity, released });
    return undefined;
  },
};

const signOutCommand: CommandSpec = {
  name: 'sign-out',
  summary:
    'Sign the account out: the provider revokes the grant where it supports it (Gmail: at Google), then the stored tokens are forgotten.',
  args: '<account>',
  examples: ['mailplug-console sign-out gmail', 'mailplug-console sign-out gmail --json'],
  async run(ctx) {
    const { host, config, account } = await accountFrom(ctx);
    const outcome = await signOutAccount(host, config, account);
    const { lines, warnings } = renderSignOut(host, outcome);
    for (const line of lines) ctx.print(line);
    for (const warning of warnings) ctx.progress(warning);
    ctx.emit({ ok: true, ...outcome });
    return ExitCode.Ok;
  },
};

const test: CommandSpec = {
  name: 'test',
  summary:
    'Test connection: the staged probe (DNS, TCP, TLS, greeting, capabilities, credential, AUTH) as a checklist.',
  args: '<account>',
  options: { 'send-to': { type: 'string' } },
  optionHelp: [['--send-to <address>', 'also send a test message as the last step']],
  examples: ['mailplug-console test office', 'mailplug-console test office --send-to me@example.com'],
  async run(ctx) {
    const { host, config, account } = await accountFrom(ctx);
    const sendTo = stringOption(ctx.values, 'send-to');
    ctx.print(
      `Testing ${account.id} (${account.protocol} ${account.server.host}:${account.server.port}, ${account.server.security}):`,
    );
    const steps: DiagnosticStep[] = [];
    const report = await testConnection(await host.mailer(config), account, {
      onStep: (step) => {
        steps.push(step);
        ctx.print(renderStep(step));
      },
      ...(sendTo
        ? {
            testMessage: {
              to: sendTo,
              subject: 'Mailplug test message',
              text: `Test message from mailplug-console for account ${account.id}.`,
            },
          }
        : {}),
    });
    // Steps a probe reports only in its result (not through onStep) are still shown.
    for (const step of report.steps)
      if (!steps.includes(step) && !steps.some((s) => s.id === step.id)) ctx.print(renderStep(step));
    // An account with a fallback route: which route delivers, in one sentence from the mailer.
    if (report.summary) ctx.print(`  ${oneLine(report.summary)}`);
    ctx.print(report.ok ? `${OK} Connection works.` : `${FAIL} Connection test failed.`);
    ctx.emit({
      ok: report.ok,
      accountId: account.id,
      steps: report.steps,
      ...(report.summary ? { summary: report.summary } : {}),
    });
    return report.ok ? ExitCode.Ok : ExitCode.Failed;
  },
};

const send: CommandSpec = {
  name: 'send',
  summary:
    'Send a message now, or --queue it in the outbox; --as names the host user (checked against the account scope and permissions).',
  args: '<account>',
  options: {
    to: { type: 'string', multiple: true },
    cc: { type: 'string', multiple: true },
    subject: { type: 'string' },
    text: { type: 'string' },
    html: { type: 'string' },
    as: { type: 'string' },
    queue: { type: 'boolean' },
  },
  optionHelp: [
    ['--to <address>', 'recipient (repeatable)'],
    ['--cc <address>', 'copy (repeatable)'],
    ['--subject <text>', 'subject line'],
    ['--text <body> / --html <body>', 'body (at least one); the configured footer is appended'],
    ['--as <user>', 'the host user sending (needed for organization and personal accounts)'],
    ['--queue', 'store it in the outbox (checked first); "mailplug-console worker" delivers it'],
  ],
  examples: [
    'mailplug-console send office --as alice --to client@example.com --subject "Invoice" --text "Attached."',
    'mailplug-console send office --as alice --to client@example.com --subject "Reminder" --text "Tomorrow 9:00." --queue',
  ],
  async run(ctx) {
    const { host, config, account } = await accountFrom(ctx);
    const to = listOption(ctx.values, 'to');
    const subject = stringOption(ctx.values, 'subject');
    const text = stringOption(ctx.values, 'text');
    const html = stringOption(ctx.values, 'html');
    const as = stringOption(ctx.values, 'as');
    if (to.length === 0) throw new UsageError('Give at least one --to address.');
    if (subject === undefined) throw new UsageError('Give --subject.');
    if (text === undefined && html === undefined) throw new UsageError('Give --text or --html (or both).');
    if (!as && account.scope.kind !== 'system') {
      throw new UsageError(
        `The account "${account.id}" is ${account.scope.kind === 'user' ? 'a personal' : 'an organization'} account: say who is sending with --as <user>.`,
      );
    }
    const cc = listOption(ctx.values, 'cc');
    const message = {
      to,
      ...(cc.length ? { cc } : {}),
      subject,
      ...(text !== undefined ? { text } : {}),
      ...(html !== undefined ? { html } : {}),
    };
    if (ctx.values.queue === true) {
      checkKnownUser(config, account, as);
      const outbox = await host.outbox();
      const queued = await outbox.enqueue({ account, ...(as ? { actingUser: as } : {}), message });
      const state = (await outbox.get(queued.id))?.state ?? 'queued';
      ctx.print(`${OK} Queued ${queued.id} (${state}) — Message-ID ${oneLine(queued.messageId)}`);
      if (state === 'held')
        for (const line of renderHold(await outbox.accountStatus(account.id))) ctx.print(line);
      else ctx.print('  "mailplug-console worker" delivers it.');
      ctx.emit({
        ok: true,
        accountId: account.id,
        queued: true,
        id: queued.id,
        messageId: queued.messageId,
        state,
      });
      return ExitCode.Ok;
    }
    ctx.progress(`Sending from ${account.id}…`);
    const result = await sendMessage(await host.mailer(config), config, account, as, message);
    ctx.print(
      `${OK} Sent ${oneLine(result.messageId)} — accepted: ${oneLine(result.accepted.join(', ')) || '(none)'}`,
    );
    // The route that delivered: the fallback's protocol when the first route was switched off.
    ctx.print(`  route: ${oneLine(result.route ?? account.protocol)}`);
    for (const r of result.rejected)
      ctx.print(
        `${FAIL} rejected ${oneLine(r.address)}: ${oneLine(`${r.code ?? ''} ${r.status ?? ''} ${r.message}`)}`,
      );
    ctx.emit({ ok: result.rejected.length === 0, accountId: account.id, ...result });
    return result.rejected.length === 0 ? ExitCode.Ok : ExitCode.Failed;
  },
};

const receive: CommandSpec = {
  name: 'receive',
  summary:
    'List (or read) messages over POP3/IMAP — deprecated receive paths; prints the deprecation notice.',
  args: '<account>',
  options: { read: { type: 'string' }, limit: { type: 'string' } },
  optionHelp: [
    ['--limit <n>', 'show the newest n messages (default 20)'],
    ['--read <id>', 'print one whole message (id from the list)'],
  ],
  examples: ['mailplug-console receive inbox', 'mailplug-console receive inbox --read 3'],
  async run(ctx) {
    const { host, config, account } = await accountFrom(ctx);
    const notice = host.registry.describeProtocol(account.protocol)?.deprecated;
    if (notice) {
      ctx.progress(`! Deprecated: ${notice.message} (since ${notice.since})`);
      // The notice is shown above; the adapter's own process warning would only repeat it.
      process.env[SILENCE_DEPRECATION_ENV] = '1';
    }
    const connection = await (await host.mailer(config)).receive(account, ADMIN);
    try {
      const read = stringOption(ctx.values, 'read');
      if (read) {
        const raw = Buffer.from(await connection.fetch(read)).toString('utf8');
        if (ctx.json)
          ctx.emit({ ok: true, accountId: account.id, id: read, raw, body: messageBody(Buffer.from(raw)) });
        else ctx.io.stdout.write(raw.endsWith('\n') ? raw : `${raw}\n`);
        return undefined;
      }
      const limit = Number(stringOption(ctx.values, 'limit') ?? 20);
      const messages = await listMessages(connection, limit);
      if (messages.length === 0) ctx.print('No messages.');
      else
        ctx.print(
          formatTable(
            ['ID', 'SIZE', 'FROM', 'SUBJECT'],
            messages.map((m) => [oneLine(m.id), String(m.size), oneLine(m.from), oneLine(m.subject)]),
          ),
        );
      ctx.emit({ ok: true, accountId: account.id, deprecated: notice ?? null, messages });
      return undefined;
    } finally {
      await connection.close();
    }
  },
};

export const mailCommands: readonly CommandSpec[] = [
  check,
  signInCommand,
  signOutCommand,
  test,
  send,
  receive,
];
