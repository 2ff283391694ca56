// The README's test command: every workspace suite through turbo (cached, dependencies built
// first), then one "N passed, N failed" line totalled over every suite. A suite that could not
// run at all (its build failed, or vitest crashed before reporting) counts as a failure, so a
// broken setup can never pass quietly.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeFailures, readVitestResults } from './vitest-results.mjs';

const root = new URL('../..', import.meta.url).pathname;
const groups = ['packages', 'apps', 'tooling'];
const extraArgs = process.argv.slice(2);

function workspaceDirs() {
  const dirs = [];
  for (const group of groups) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const pkgFile = join(dir, name, 'package.json');
      if (!existsSync(pkgFile)) continue;
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
      if (pkg.scripts?.test) dirs.push({ label: `${group}/${name}`, dir: join(dir, name) });
    }
  }
  return dirs;
}

// The suites drive real Dovecot, Redis, tinyproxy and Chromium. Install them when they are missing
// and this machine can (root with apt-get); otherwise say the one command that does, and go on so
// the suites that need them fail loudly instead of being skipped.
const deps = spawnSync('bash', [join(root, 'tooling/scripts/install-system-deps.sh')], {
  cwd: root,
  stdio: 'inherit',
});
if (deps.status !== 0) {
  const bar = '!'.repeat(78);
  console.error(`${bar}\n!!! System packages are missing: the suites that drive them WILL FAIL.`);
  console.error('!!! Install them as root with: bash tooling/scripts/install-system-deps.sh');
  console.error(`${bar}`);
}

const suites = workspaceDirs();
// Results left by an earlier run must not be counted for a suite that fails to run this time;
// turbo restores them from its cache when the suite is unchanged.
for (const { dir } of suites) rmSync(join(dir, 'test-results.json'), { force: true });

const turbo = spawnSync(
  join(root, 'node_modules', '.bin', 'turbo'),
  ['run', 'test', '--continue', '--concurrency=2', ...extraArgs],
  {
    cwd: root,
    stdio: 'inherit',
  },
);

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
const failureLines = [];
console.log('\nTest results by suite:');
for (const { label, dir } of suites) {
  const r = readVitestResults(join(dir, 'test-results.json'), dir);
  if (!r) {
    missing.push(label);
    failureLines.push(`FAILED ${label} — DID NOT RUN (its build failed or vitest crashed; see its output)`);
    console.log(`  ${label}: DID NOT RUN (see its output above)`);
    continue;
  }
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
  failureLines.push(...describeFailures(label, r.failures));
  console.log(`  ${label}: ${r.passed} passed, ${r.failed} failed`);
}
failed += missing.length;
if (turbo.status !== 0 && failed === 0) failed = 1;
const line = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
writeFileSync(join(root, 'test-summary.txt'), `${line}\n`);
writeFileSync(join(root, 'test-failures.txt'), failureLines.map((l) => `${l}\n`).join(''));
for (const l of failureLines) console.log(l);
console.log(line);
process.exitCode = failed > 0 ? 1 : 0;
