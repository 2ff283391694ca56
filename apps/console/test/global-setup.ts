import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The tests run the built CLI as a child process; rebuild it when src is newer than dist. */
export default function setup(): void {
  const cli = join(root, 'dist', 'cli.js');
  if (existsSync(cli) && statSync(cli).mtimeMs >= newestSource(join(root, 'src'))) return;
  const result = spawnSync(join(root, 'node_modules', '.bin', 'tsup'), { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('Building the console for the tests failed.');
}
