import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Absolute path of a compiled sibling entry in `dist/` (children run the built JavaScript). */
export function distEntry(name: string): string {
  return fileURLToPath(new URL(`./${name}`, import.meta.url));
}

/**
 * `MAILPLUG_BENCH_CPU_PROFILE=<dir>`: every child writes a V8 CPU profile there (open it in Chrome
 * DevTools or summarise it by self time) — how to see where one side spends its time.
 */
function profileArgs(): string[] {
  const dir = process.env.MAILPLUG_BENCH_CPU_PROFILE;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

type Reply<T> = { ok: true; result: T } | { ok: false; error: string };

/**
 * Forks `entry` (with `args`), sends `request` over IPC (unless undefined) and resolves with the child's single reply. A child that
 * exits without replying (or takes longer than `timeoutMs`) rejects with its stderr tail.
 */
export function runChild<T>(
  entry: string,
  request: unknown,
  options: { timeoutMs?: number; args?: string[]; execArgv?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = fork(entry, options.args ?? [], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      execArgv: [...(options.execArgv ?? []), ...profileArgs()],
      env: { ...process.env, MAILPLUG_SILENCE_DEPRECATION: '1', ...options.env },
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-4000);
    });
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`${entry} did not answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs ?? 180_000);
    child.once('message', (reply: Reply<T>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (reply.ok) resolve(reply.result);
      else reject(new Error(`${entry}: ${reply.error}\n${stderr}`));
    });
    child.once('exit', (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before answering\n${stderr}`));
    });
    if (request !== undefined) child.send(request as object);
  });
}
