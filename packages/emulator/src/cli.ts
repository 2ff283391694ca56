#!/usr/bin/env node
/**
 * `mailplug-emulator start [--config file] [--port n] [--http-port n] [--auto-approve first-user|email]
 * [--fault spec]...` Prints endpoints and settings to paste into a host, then runs until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { type Emulator, startEmulator } from './emulator.js';
import { FAULT_SYNTAX, type ParsedFault, parseFault } from './faults/parse-fault.js';

const USAGE = `Usage: mailplug-emulator start [--config file.json] [--port 8443] [--http-port 8080] [--auto-approve first-user|<email>] [--no-mail] [--fault <spec>]...
  --fault ${FAULT_SYNTAX}
          repeatable; lasts until the emulator stops unless times=<n> is given`;

export function describeEmulator(e: Emulator): string {
  const lines = [
    'Mailplug emulator is running (Ctrl+C to stop).',
    '',
    `Web page            ${e.urls.web}`,
    `CA certificate      ${e.caCertPath}   (export NODE_EXTRA_CA_CERTS=${e.caCertPath})`,
    `Microsoft authority ${e.urls.microsoftAuthority()}   (knownAuthorities: ["${e.urls.microsoftKnownAuthority}"])`,
    `Google base         ${e.urls.googleBase}`,
    `Introspection       ${e.urls.introspection}`,
    `Device login        ${e.urls.deviceLogin}`,
    `Graph base          ${e.urls.graphBase}   (stands for https://graph.microsoft.com)`,
    `Gmail API base      ${e.urls.gmailBase}   (stands for https://gmail.googleapis.com)`,
    `OAuth issuer        ${e.urls.oauth.issuer}   (generic OAuth 2.0 / OIDC server)`,
  ];
  if (e.ports.smtp) {
    lines.push(`SMTP                127.0.0.1:${e.ports.smtp} STARTTLS, ${e.ports.smtps} TLS`);
    lines.push(`IMAP                127.0.0.1:${e.ports.imap} STARTTLS, ${e.ports.imaps} TLS`);
    lines.push(`POP3                127.0.0.1:${e.ports.pop3} STLS, ${e.ports.pop3s} TLS`);
  }
  lines.push('', 'Test users:');
  for (const u of e.users)
    lines.push(`  ${u.email}  (password for basic auth: see "basic" settings secrets)`);
  lines.push('', 'Account settings (settings + secrets to load into your SecretStore):');
  for (const [id, s] of Object.entries(e.settings)) {
    lines.push(
      `  ${id}: ${JSON.stringify({ settings: { ...s.settings, ca: s.settings.ca ? e.caCertPath : undefined }, secrets: s.secrets })}`,
    );
  }
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      'http-port': { type: 'string' },
      'auto-approve': { type: 'string' },
      'no-mail': { type: 'boolean' },
      fault: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals[0] !== 'start') {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const port = values.port ? Number(values.port) : 0;
  const httpPort = values['http-port'] ? Number(values['http-port']) : 0;
  if (!Number.isInteger(port) || !Number.isInteger(httpPort)) {
    process.stderr.write(`--port and --http-port take a number.\n${USAGE}\n`);
    return 2;
  }
  let faults: ParsedFault[];
  try {
    faults = (values.fault ?? []).map((text) => parseFault(text, Number.POSITIVE_INFINITY));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const emulator = await startEmulator({
    configFile: values.config,
    port,
    httpPort,
    mail: !values['no-mail'],
    identity: values['auto-approve'] ? { autoApprove: values['auto-approve'] } : undefined,
  });
  for (const { flavour, spec } of faults) emulator.inject[flavour](spec as never);
  process.stdout.write(`${describeEmulator(emulator)}\n`);
  if (faults.length > 0)
    process.stdout.write(`\nInjected faults:\n${(values.fault ?? []).map((f) => `  ${f}`).join('\n')}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await emulator.stop();
  return 0;
}

// Run only when executed as the bin, so tests can import `main` without starting anything.
const invokedAsBin = /(?:cli\.[cm]?js|mailplug-emulator)$/.test(process.argv[1] ?? '');
if (invokedAsBin) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`mailplug-emulator: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
