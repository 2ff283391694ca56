import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Emulator } from '@mailplug/emulator';
import { addAccountArgs } from '../src/commands/demo-support.js';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
/** The `@mailplug/examples` workspace package (a dev dependency, so turbo builds it first). */
export const EXAMPLES_DIR = dirname(
  createRequire(import.meta.url).resolve('@mailplug/examples/package.json'),
);

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  configDir?: string | undefined;
  stdin?: string | Buffer | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** Sees stdout as it arrives (all of it so far), e.g. to follow a printed sign-in URL. */
  onStdout?: ((soFar: string) => void) | undefined;
}

/**
 * Runs `node dist/cli.js ...` asynchronously (the emulator in the test process must keep
 * answering while the child talks to it).
 */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return runNode(CLI, args, options);
}

/** Runs a Node script as a child process with a clean Mailplug environment. */
export function runNode(
  script: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<CliResult> {
  return startNode(script, args, options).result;
}

export interface RunningCli {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything written so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves when the process has exited (`signal` set when a signal ended it). */
  readonly result: Promise<CliResult & { signal: NodeJS.Signals | null }>;
}

/** Starts `node dist/cli.js ...` and returns at once (for long-running commands such as `worker`). */
export function startCli(args: readonly string[], options: RunOptions = {}): RunningCli {
  return startNode(CLI, args, options);
}

function startNode(script: string, args: readonly string[], options: RunOptions): RunningCli {
  const env: NodeJS.ProcessEnv = { ...process.env, MAILPLUG_SILENCE_DEPRECATION: '1', ...options.env };
  delete env.MAILPLUG_TOKEN_KEY;
  if (options.configDir) env.MAILPLUG_CONFIG_DIR = options.configDir;
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
    options.onStdout?.(stdout);
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const result = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr }));
  });
  child.stdin.end(options.stdin ?? '');
  return { child, output: () => ({ stdout, stderr }), result };
}

export async function tempDir(
  prefix = 'mailplug-console-test-',
): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** `accounts add <id>` for the emulator's Microsoft 365 app-only service mailbox (system scope). */
export function appOnlyAccount(emulator: Emulator, id: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const { settings, secrets } = emulator.settings['m365-app-only'];
  const mailbox = String(settings.mailbox);
  const server = { host: '127.0.0.1', port: String(emulator.ports.smtp), 'ca-file': emulator.caCertPath };
  const args = addAccountArgs(
    id,
    { ...server, provider: 'm365-app-only', scope: 'system', from: mailbox },
    {
      ...{ tenant: String(settings.tenant), clientId: String(settings.clientId), mailbox },
      ...{ scope: String(settings.scope), authorityHost: emulator.urls.https, ca: emulator.caCertPath },
    },
    { clientSecret: 'TEST_DAEMON_SECRET' },
  );
  return { args, env: { TEST_DAEMON_SECRET: secrets['emulator-m365-daemon-secret'] } };
}
