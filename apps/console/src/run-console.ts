import { parseArgs } from 'node:util';
import type { CommandContext, CommandSpec, OptionSpecs, OptionValues } from './command.js';
import { accountCommands } from './commands/accounts.js';
import { adminCommands } from './commands/admin.js';
import { createDemoCommand } from './commands/demo.js';
import { mailCommands } from './commands/mail.js';
import { outboxCommands } from './commands/outbox.js';
import { workerCommand } from './commands/worker.js';
import { type ConsoleHost, createConsoleHost } from './console-host.js';
import { ExitCode, exitCodeFor, UsageError } from './exit-codes.js';
import { type ConsoleIo, errorJson, formatError } from './output.js';
import { resolveConfigDir } from './paths.js';
import { sanitizingWriter, stripControls, toJsonText } from './terminal-text.js';

export const COMMANDS: readonly CommandSpec[] = [
  ...accountCommands,
  ...mailCommands,
  ...outboxCommands,
  workerCommand,
  ...adminCommands,
  createDemoCommand(runConsole),
];
const GROUPS = new Set(
  COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0] as string),
);

const GLOBAL_OPTIONS: OptionSpecs = {
  'config-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const BIN = 'mailplug-console';

function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name} ${c.args ?? ''}`.length));
  return [
    `${BIN} — sample Mailplug host: mail accounts with passwords, Gmail and Microsoft 365 OAuth.`,
    '',
    `Usage: ${BIN} <command> [options]`,
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${`${c.name} ${c.args ?? ''}`.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    '  --config-dir <dir>  configuration directory (default $MAILPLUG_CONFIG_DIR, $XDG_CONFIG_HOME/mailplug, ~/.config/mailplug)',
    '  --json              machine-readable output on stdout',
    '  -h, --help          help for a command',
    '',
    'Exit codes: 0 ok, 1 failed, 2 usage, 3 permission denied, 4 configuration invalid, 5 sign-in required, 6 try again later.',
  ].join('\n');
}

function commandHelp(c: CommandSpec): string {
  const lines = [`Usage: ${BIN} ${c.name}${c.args ? ` ${c.args}` : ''} [options]`, '', c.summary];
  if (c.optionHelp?.length) {
    const width = Math.max(...c.optionHelp.map(([f]) => f.length));
    lines.push('', 'Options:', ...c.optionHelp.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`));
  }
  lines.push('  --config-dir <dir>, --json, --help  (global)');
  if (c.examples?.length) lines.push('', 'Examples:', ...c.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}

function findCommand(argv: readonly string[]): { command?: CommandSpec; rest: string[]; group?: string } {
  const [first, second] = argv;
  if (first && GROUPS.has(first)) {
    const command = COMMANDS.find((c) => c.name === `${first} ${second ?? ''}`);
    return command ? { command, rest: argv.slice(2) } : { rest: argv.slice(1), group: first };
  }
  const command = COMMANDS.find((c) => c.name === first);
  return command ? { command, rest: argv.slice(1) } : { rest: [...argv] };
}

/**
 * Runs one console command and resolves with its exit code (never calls `process.exit`, so the
 * demo and tests can run commands in process).
 *
 * @example
 * const code = await runConsole(['accounts', 'list', '--json'], { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
 */
export async function runConsole(argv: readonly string[], rawIo: ConsoleIo): Promise<number> {
  // Whatever a server, a file or an identity claim put into the output drives no terminal.
  const io: ConsoleIo = {
    ...rawIo,
    stdout: sanitizingWriter(rawIo.stdout),
    stderr: sanitizingWriter(rawIo.stderr),
  };
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  const { command, rest, group } = findCommand(argv);
  if (!command) {
    if (argv.length === 0 || (wantsHelp && !group && argv[0]?.startsWith('-'))) {
      io.stdout.write(`${generalHelp()}\n`);
      return argv.length === 0 ? ExitCode.Usage : ExitCode.Ok;
    }
    const what = group ? `"${`${group} ${rest[0] ?? ''}`.trim()}"` : `"${argv[0]}"`;
    if (group && wantsHelp) {
      io.stdout.write(
        `${COMMANDS.filter((c) => c.name.startsWith(`${group} `))
          .map(commandHelp)
          .join('\n\n')}\n`,
      );
      return ExitCode.Ok;
    }
    io.stderr.write(`✗ Unknown command ${what}.\n\n${generalHelp()}\n`);
    return ExitCode.Usage;
  }
  if (wantsHelp) {
    io.stdout.write(`${commandHelp(command)}\n`);
    return ExitCode.Ok;
  }
  let values: OptionValues;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: rest,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    values = parsed.values as OptionValues;
    positionals = parsed.positionals;
  } catch (error) {
    io.stderr.write(`✗ ${(error as Error).message}\n\n${commandHelp(command)}\n`);
    return ExitCode.Usage;
  }
  const json = values.json === true;
  const configDir = resolveConfigDir(
    typeof values['config-dir'] === 'string' ? values['config-dir'] : undefined,
    io.env,
  );
  let host: ConsoleHost | undefined;
  let emitted = false;
  // Only the status line may move the cursor: its text is sanitized, the redraw is ours.
  const terminal = (rawIo.stderr as { isTTY?: boolean }).isTTY === true;
  let statusShown = '';
  const ctx: CommandContext = {
    io,
    json,
    positionals,
    values,
    configDir,
    host() {
      host ??= createConsoleHost({ configDir, env: io.env });
      return host;
    },
    print: (text) => {
      if (!json) io.stdout.write(`${text}\n`);
    },
    progress: (text) => {
      io.stderr.write(`${text}\n`);
    },
    status: (text) => {
      const line = text === undefined ? '' : stripControls(text).replace(/\n/g, ' ');
      // Off a terminal the status is a log line: nothing to clear, and no repeats.
      if (line === statusShown || (!terminal && !line)) return;
      if (terminal) rawIo.stderr.write(`\r\x1b[2K${line}`);
      else io.stderr.write(`${line}\n`);
      statusShown = line;
    },
    emit: (value) => {
      if (json && !emitted) {
        emitted = true;
        io.stdout.write(toJsonText(value));
      }
    },
  };
  try {
    return (await command.run(ctx)) ?? ExitCode.Ok;
  } catch (error) {
    ctx.status(undefined);
    const code = exitCodeFor(error);
    if (json && !emitted) io.stdout.write(toJsonText(errorJson(error)));
    io.stderr.write(`${formatError(error)}\n`);
    if (error instanceof UsageError) io.stderr.write(`\n${commandHelp(command)}\n`);
    return code;
  } finally {
    await host?.dispose();
  }
}
