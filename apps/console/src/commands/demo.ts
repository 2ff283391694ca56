import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandContext, CommandSpec } from '../command.js';
import { createConsoleHost } from '../console-host.js';
import { ExitCode } from '../exit-codes.js';
import { runGmailApiPart, runGraphFallbackPart } from './demo-api-routes.js';
import { gmailAccountArgs, runOutboxPart } from './demo-outbox.js';
import { createDemoRunner, type Emulator, type RunConsole } from './demo-runner.js';
import { addAccountArgs } from './demo-support.js';

const SENDER = 'alice@contoso.test';
const RECIPIENT = 'bob@contoso.test';

/** `demo`: every flow of the console against the in-process emulator, in a throw-away config dir. */
export function createDemoCommand(runConsole: RunConsole): CommandSpec {
  return {
    name: 'demo',
    summary:
      'Run every flow against an in-process emulator (loopback, ephemeral ports, temp config dir) and print a summary.',
    options: { browser: { type: 'boolean' }, 'device-code': { type: 'boolean' }, keep: { type: 'boolean' } },
    optionHelp: [
      ['--browser', 'print sign-in URLs and wait for a person to click through the emulator consent page'],
      ['--device-code', 'sign in to Microsoft 365 delegated with the device code flow'],
      ['--keep', 'keep the temporary configuration directory and print its path'],
    ],
    examples: ['mailplug-console demo', 'mailplug-console demo --device-code', 'pnpm demo'],
    run: (ctx) => runDemo(ctx, runConsole),
  };
}

async function runDemo(ctx: CommandContext, runConsole: RunConsole): Promise<number> {
  const browser = ctx.values.browser === true;
  const deviceCode = ctx.values['device-code'] === true;
  // With --json the narrative goes to stderr and stdout carries only the final JSON result.
  const out = ctx.json ? ctx.io.stderr : ctx.io.stdout;
  const say = (text: string) => out.write(`${text}\n`);
  const parentIo = { ...ctx.io, stdout: out, stderr: out };
  const configDir = await mkdtemp(join(tmpdir(), 'mailplug-console-demo-'));
  say('Mailplug console demo');
  say(`  configuration: ${configDir} (temporary; your own configuration is not touched)`);
  ctx.progress('Starting the emulator (identity platforms + SMTP/POP3/IMAP on 127.0.0.1)…');
  const { startEmulator } = await import('@mailplug/emulator');
  const emulator: Emulator = await startEmulator({
    identity: { autoApprove: browser ? false : 'first-user', deviceCodeInterval: browser ? 5 : 0 },
  });
  const basic = emulator.settings.basic;
  const password = (email: string) => emulator.users.find((u) => u.email === email)?.password ?? '';
  const smtpPort = String(emulator.ports.smtp);
  const ca = emulator.caCertPath;
  say(
    `  emulator: identity ${emulator.urls.https}, SMTP ${smtpPort}, POP3S ${emulator.ports.pop3s}, IMAPS ${emulator.ports.imaps}`,
  );

  // Secrets reach the commands the way an admin would pass them: stdin or environment variables.
  const { MAILPLUG_TOKEN_KEY: _key, ...baseEnv } = ctx.io.env;
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    MAILPLUG_CONFIG_DIR: configDir,
    MAILPLUG_SILENCE_DEPRECATION: '1',
    DEMO_GOOGLE_CLIENT_SECRET:
      emulator.settings['gmail-oauth'].secrets['emulator-google-client-secret'] ?? '',
    DEMO_M365_WEB_SECRET: emulator.settings['m365-delegated'].secrets['emulator-m365-web-secret'] ?? '',
    DEMO_M365_DAEMON_SECRET: emulator.settings['m365-app-only'].secrets['emulator-m365-daemon-secret'] ?? '',
  };
  const registry = createConsoleHost({ configDir, env }).registry;
  const hasProvider = (id: string) => registry.describeAuthProvider(id) !== undefined;
  const hasProtocol = (id: string) => registry.describeProtocol(id) !== undefined;

  const runner = createDemoRunner({
    runConsole,
    say,
    parentIo,
    env,
    emulator,
    browser,
    sender: SENDER,
    recipient: RECIPIENT,
  });
  const { header, step, skip, sendAndShow, summarise } = runner;
  const smtpServer = { host: '127.0.0.1', port: smtpPort, security: 'starttls', 'ca-file': ca };
  const m365Host = { authorityHost: emulator.urls.https, ca };

  try {
    if (!hasProvider('basic') || !hasProtocol('smtp')) {
      skip('1. Password (basic auth)', 'auth-basic or protocol-smtp is not installed');
    } else {
      header('1. Password (basic auth) → emulator SMTP: test → send → what arrived');
      await step('Add host users (alice allowed, bob denied)', ['users', 'add', 'alice']);
      await step('Deny bob "send on behalf of organization"', ['users', 'add', 'bob', '--deny']);
      await step('Set the outgoing footer', [
        'footer',
        'set',
        '--text',
        'Contoso Practice · This address is not monitored.',
      ]);
      const office = addAccountArgs(
        'office',
        {
          ...smtpServer,
          provider: 'basic',
          'password-stdin': '',
          from: SENDER,
          'display-name': 'Contoso Office',
        },
        { username: String(basic.settings.username) },
      );
      await step('Add the organization account (password from stdin)', office, { stdin: password(SENDER) });
      await step('Test connection', ['test', 'office']);
      await sendAndShow('Send as alice', 'office', {
        subject: 'Demo 1: password account',
        text: 'Hello from the Mailplug console (basic auth).',
        actingUser: 'alice',
      });
      const denied = [
        'send',
        'office',
        '--as',
        'bob',
        '--to',
        RECIPIENT,
        '--subject',
        'must not arrive',
        '--text',
        'x',
      ];
      await step('Send as bob is refused (permission denied, nothing sent)', denied, {
        expect: ExitCode.PermissionDenied,
      });
    }

    if (!hasProvider('gmail-oauth')) {
      skip('2. Gmail (OAuth 2.0)', '@mailplug/auth-gmail-oauth is not installed');
    } else {
      header('2. Gmail (OAuth 2.0): sign in → Check Authorization → Test connection → send');
      const gmail = gmailAccountArgs(
        emulator,
        'gmail',
        { from: SENDER, scope: 'user', owner: 'alice' },
        'DEMO_GOOGLE_CLIENT_SECRET',
      );
      await step('Add the Gmail account (client secret from an env variable)', gmail);
      const signInTitle = browser
        ? 'Sign in with Google (open the printed URL)'
        : 'Sign in with Google (headless auto-approve)';
      if (await step(signInTitle, ['sign-in', 'gmail', '--timeout', browser ? '600' : '60'])) {
        await step('Check Authorization', ['check', 'gmail']);
        await step('Test connection', ['test', 'gmail']);
        await sendAndShow('Send as alice', 'gmail', {
          subject: 'Demo 2: Gmail OAuth',
          text: 'Sent with a Google access token (XOAUTH2).',
          actingUser: 'alice',
        });
      }
    }

    if (!hasProvider('m365-delegated')) {
      skip('3. Microsoft 365 delegated', '@mailplug/auth-m365-delegated is not installed');
    } else {
      header(`3. Microsoft 365 delegated: ${deviceCode ? 'device code' : 'auth code + PKCE'} sign-in → send`);
      const preset = emulator.settings['m365-delegated'].settings;
      // Device code needs a public client (no secret); the browser flow uses the web app and its secret.
      const publicClient = String(emulator.apps.find((a) => a.public)?.clientId);
      const m365 = addAccountArgs(
        'm365',
        { ...smtpServer, provider: 'm365-delegated', from: SENDER, 'display-name': 'Alice (Microsoft 365)' },
        {
          tenant: String(preset.tenant),
          clientId: deviceCode ? publicClient : String(preset.clientId),
          protocols: 'smtp',
          mailbox: SENDER,
          ...m365Host,
        },
        deviceCode ? {} : { clientSecret: 'DEMO_M365_WEB_SECRET' },
      );
      await step('Add the Microsoft 365 account', m365);
      const signInArgs = [
        'sign-in',
        'm365',
        '--timeout',
        browser ? '600' : '60',
        ...(deviceCode ? ['--device-code'] : []),
      ];
      if (await step(deviceCode ? 'Sign in with a device code' : 'Sign in with Microsoft', signInArgs)) {
        await step('Check Authorization', ['check', 'm365']);
        await sendAndShow('Send as alice', 'm365', {
          subject: 'Demo 3: Microsoft 365 delegated',
          text: 'Sent with a delegated Exchange token.',
          actingUser: 'alice',
        });
      }
    }

    if (!hasProvider('m365-app-only')) {
      skip('4. Microsoft 365 app-only', '@mailplug/auth-m365-app-only is not installed');
    } else {
      header('4. Microsoft 365 app-only service mailbox (system notifications) → send');
      const preset = emulator.settings['m365-app-only'].settings;
      const service = addAccountArgs(
        'notifications',
        {
          ...smtpServer,
          provider: 'm365-app-only',
          from: SENDER,
          'display-name': 'Contoso Notifications',
          scope: 'system',
        },
        {
          tenant: String(preset.tenant),
          clientId: String(preset.clientId),
          mailbox: SENDER,
          scope: 'https://outlook.office365.com/.default',
          ...m365Host,
        },
        { clientSecret: 'DEMO_M365_DAEMON_SECRET' },
      );
      await step('Add the system account (no user signs in)', service);
      await step('Check Authorization', ['check', 'notifications']);
      await sendAndShow('Send (system account, no acting user)', 'notifications', {
        subject: 'Demo 4: Microsoft 365 app-only',
        text: 'Sent with an app-only token (client credentials).',
      });
    }

    for (const [protocol, port, title] of [
      ['pop3', emulator.ports.pop3s, '5a. Receive over POP3 (deprecated)'],
      ['imap', emulator.ports.imaps, '5b. Receive over IMAP (deprecated)'],
    ] as const) {
      if (!hasProtocol(protocol)) {
        skip(title, `@mailplug/protocol-${protocol} is not installed (or declares no manifest yet)`);
        continue;
      }
      header(`${title}: read back what the demo sent`);
      const id = `inbox-${protocol}`;
      const inbox = addAccountArgs(
        id,
        {
          protocol,
          host: '127.0.0.1',
          port: String(port),
          security: 'tls',
          'ca-file': ca,
          provider: 'basic',
        },
        { username: RECIPIENT },
      );
      await step(
        `Add bob's ${protocol.toUpperCase()} account`,
        [...inbox, '--password-stdin', '--scope', 'user', '--owner', 'bob'],
        {
          stdin: password(RECIPIENT),
        },
      );
      await step('List messages', ['receive', id], {
        verify: (output) =>
          output.includes('Demo 1: password account')
            ? undefined
            : 'the message sent in part 1 is not listed',
      });
    }

    if (!hasProvider('gmail-oauth') || !hasProtocol('smtp')) {
      skip('6. Outbox', '@mailplug/auth-gmail-oauth or protocol-smtp is not installed');
    } else {
      header('6. Outbox: a reminder waits while the account needs a sign-in, then goes out');
      await runOutboxPart(runner, {
        emulator,
        sender: SENDER,
        recipient: RECIPIENT,
        browser,
        secretEnv: 'DEMO_GOOGLE_CLIENT_SECRET',
      });
    }

    if (!hasProvider('m365-app-only') || !hasProtocol('smtp') || !hasProtocol('graph')) {
      skip('7. Microsoft Graph fallback', '@mailplug/auth-m365-app-only or protocol-graph is not installed');
    } else {
      header('7. Microsoft Graph fallback: SMTP AUTH switched off → Test connection → send over Graph');
      await runGraphFallbackPart(runner, {
        emulator,
        sender: SENDER,
        recipient: RECIPIENT,
        browser,
        secretEnv: 'DEMO_M365_DAEMON_SECRET',
        say,
      });
    }

    if (!hasProvider('gmail-oauth') || !hasProtocol('gmail-api')) {
      skip('8. Gmail API', '@mailplug/auth-gmail-oauth or protocol-gmail-api is not installed');
    } else {
      header('8. Gmail API (gmail.send only): sign in → Test connection → send');
      await runGmailApiPart(runner, {
        emulator,
        sender: SENDER,
        recipient: RECIPIENT,
        browser,
        secretEnv: 'DEMO_GOOGLE_CLIENT_SECRET',
        say,
      });
    }
  } finally {
    await emulator.stop();
    await registry.dispose();
    if (ctx.values.keep === true) say(`\n  configuration kept in ${configDir}`);
    else await rm(configDir, { recursive: true, force: true });
  }

  const { results, failed } = summarise();
  ctx.emit({ ok: failed === 0, results });
  return failed === 0 ? ExitCode.Ok : ExitCode.Failed;
}
