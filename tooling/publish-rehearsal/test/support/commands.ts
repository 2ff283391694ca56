import { spawn } from 'node:child_process';

/**
 * The environment an outside user's shell has: this process's, minus everything pnpm and npm put
 * there for the script that runs the tests (`npm_config_*`, `npm_lifecycle_*`, `pnpm_*`...), so
 * the commands read their settings from the project's own `.npmrc`, as they would on a user's machine.
 */
export function outsideEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|PNPM_|VITEST|TURBO_)/i.test(key) || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
}

export interface CommandOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** A deadline for the command; it is killed after it. */
  readonly timeoutMs?: number;
  readonly input?: string;
}

/**
 * Runs a command to completion and resolves with its output; rejects with the whole output when it
 * fails or outlives its deadline. Asynchronous, so a server in this process (the registry) keeps
 * answering while the command talks to it.
 */
export function run(command: string, args: readonly string[], options: CommandOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? outsideEnv(),
      stdio: [options.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    const timeoutMs = options.timeoutMs ?? 240_000;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(output);
      const why = signal
        ? ` (killed by ${signal}${signal === 'SIGKILL' ? ` after ${timeoutMs} ms` : ''})`
        : '';
      reject(
        new Error(
          `\`${command} ${args.join(' ')}\` in ${options.cwd} exited with ${code}${why}:\n${output.slice(-6000)}`,
        ),
      );
    });
  });
}

/** npm as an outside user runs it: no audit, no funding notices, cached third-party packages first. */
export function npm(args: readonly string[], options: CommandOptions): Promise<string> {
  // Before the arguments: after `--` they would be handed to the command `npm create` runs.
  const [command = 'install', ...rest] = args;
  return run(
    'npm',
    [command, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...rest],
    options,
  );
}
