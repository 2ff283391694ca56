import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLES_DIR } from './helpers.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds `dir` with `bin` when `dir/dist` is missing or any file in it is older than `dir/src`. */
function buildWhenStale(dir: string, bin: string, args: string[], what: string): void {
  const dist = join(dir, 'dist');
  const built = existsSync(dist) ? readdirSync(dist).map((name) => statSync(join(dist, name)).mtimeMs) : [];
  if (built.length > 0 && Math.min(...built) >= newestSource(join(dir, 'src'))) return;
  const result = spawnSync(join(dir, 'node_modules', '.bin', bin), args, { cwd: dir, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`Building ${what} for the tests failed.`);
}

/** The tests run the built CLI and the built examples as child processes; rebuild what is stale. */
export default function setup(): void {
  buildWhenStale(root, 'tsup', [], 'the console');
  buildWhenStale(EXAMPLES_DIR, 'tsc', ['-p', 'tsconfig.json'], 'the examples');
}
