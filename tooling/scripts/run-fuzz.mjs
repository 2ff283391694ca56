// `pnpm test:fuzz`: every workspace's fast-check properties (`*.fuzz.test.ts`) with a random seed and
// more runs (MAILPLUG_FUZZ=1). `pnpm test` runs the same properties with a fixed seed per property, so it never
// depends on luck. One seed is used for the whole run and printed; replay a failure with
// `MAILPLUG_FUZZ_SEED=<seed> pnpm test:fuzz`, then add its counterexample to the property's examples.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const groups = ['packages', 'apps', 'tooling'];

function fuzzFiles(dir) {
  const found = [];
  for (const sub of ['src', 'test']) {
    const start = join(dir, sub);
    if (!existsSync(start)) continue;
    for (const entry of readdirSync(start, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.fuzz.test.ts'))
        found.push(relative(dir, join(entry.parentPath, entry.name)));
    }
  }
  return found.sort();
}

const suites = [];
for (const group of groups) {
  const groupDir = join(root, group);
  if (!existsSync(groupDir)) continue;
  for (const name of readdirSync(groupDir)) {
    const dir = join(groupDir, name);
    const pkgFile = join(dir, 'package.json');
    if (!existsSync(pkgFile)) continue;
    const files = fuzzFiles(dir);
    if (files.length > 0) suites.push({ name: JSON.parse(readFileSync(pkgFile, 'utf8')).name, dir, files });
  }
}

const seed = process.env.MAILPLUG_FUZZ_SEED || String((Date.now() ^ (Math.random() * 0x100000000)) | 0);
console.log(`[fuzz] seed ${seed} — replay with: MAILPLUG_FUZZ_SEED=${seed} pnpm test:fuzz`);

// The suites import their workspace dependencies from dist: build those first (cached by turbo).
const build = spawnSync(
  join(root, 'node_modules', '.bin', 'turbo'),
  ['run', 'build', '--output-logs=errors-only', ...suites.map((s) => `--filter=${s.name}^...`)],
  { cwd: root, stdio: 'inherit' },
);
if (build.status !== 0) {
  console.error('[fuzz] building the dependencies failed');
  process.exit(1);
}

let failed = 0;
for (const { name, dir, files } of suites) {
  console.log(`\n[fuzz] ${name}: ${files.join(', ')}`);
  const local = join(dir, 'node_modules', '.bin', 'vitest');
  const vitest = existsSync(local) ? local : join(root, 'node_modules', '.bin', 'vitest');
  // Only the default reporter: the suite's test-results.json belongs to `pnpm test`.
  const run = spawnSync(vitest, ['run', '--reporter=default', ...files], {
    cwd: dir,
    stdio: 'inherit',
    env: { ...process.env, MAILPLUG_FUZZ: '1', MAILPLUG_FUZZ_SEED: seed },
  });
  if (run.status !== 0) failed++;
}
console.log(
  `\n[fuzz] seed ${seed}: ${suites.length - failed} of ${suites.length} suites passed` +
    (failed ? ` — replay with MAILPLUG_FUZZ_SEED=${seed} pnpm test:fuzz` : ''),
);
process.exitCode = failed > 0 ? 1 : 0;
