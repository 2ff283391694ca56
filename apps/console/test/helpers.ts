import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node dist/cli.js ...` asynchronously (the emulator in the test process must keep
 * answering while the child talks to it).
 */
export function runCli(
  args: readonly string[],
  options: {
    configDir?: string;
    stdin?: string;
    env?: NodeJS.ProcessEnv;
    /** Sees stdout as it arrives (all of it so far), e.g. to follow a printed sign-in URL. */
    onStdout?: (soFar: string) => void;
  } = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, MAILPLUG_SILENCE_DEPRECATION: '1', ...options.env };
  delete env.MAILPLUG_TOKEN_KEY;
  if (options.configDir) env.MAILPLUG_CONFIG_DIR = options.configDir;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
      options.onStdout?.(stdout);
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

export async function tempDir(
  prefix = 'mailplug-console-test-',
): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
