// The second CI leg: the unit suites (no system services, no native addons) on Node 24, with the
// binary the `node@24` npm package ships. Writes one "N passed, N failed" line to
// test-summary-node24.txt; .ci/run adds it to the main total.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeFailures, readVitestResults } from './vitest-results.mjs';

const root = new URL('../..', import.meta.url).pathname;
const UNIT_SUITES = [
  'packages/core',
  'packages/auth-basic',
  'packages/microsoft-identity',
  'packages/protocol-smtp',
  'packages/protocol-pop3',
];

const prefix = join(tmpdir(), 'mailplug-node24');
mkdirSync(prefix, { recursive: true });
const node24 = join(prefix, 'node_modules', '.bin', 'node');
if (!existsSync(node24)) {
  const install = spawnSync(
    'npm',
    ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, 'node@24'],
    {
      stdio: 'inherit',
    },
  );
  if (install.status !== 0) {
    writeFileSync(join(root, 'test-summary-node24.txt'), '0 passed, 1 failed\n');
    console.error('Could not install node@24 from the npm registry.');
    process.exit(1);
  }
}
const version = spawnSync(node24, ['--version'], { encoding: 'utf8' }).stdout.trim();
console.log(`Unit suites on Node ${version}`);

let passed = 0;
let failed = 0;
const failureLines = [];
for (const suite of UNIT_SUITES) {
  const dir = join(root, suite);
  const results = join(dir, 'test-results-node24.json');
  rmSync(results, { force: true });
  const vitest = join(dir, 'node_modules', 'vitest', 'vitest.mjs');
  spawnSync(
    node24,
    [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`],
    {
      cwd: dir,
      stdio: 'inherit',
      env: { ...process.env, PATH: `${join(prefix, 'node_modules', '.bin')}:${process.env.PATH}` },
    },
  );
  const r = readVitestResults(results, dir);
  if (!r) {
    console.log(`  ${suite} (Node 24): DID NOT RUN`);
    failureLines.push(`FAILED ${suite} (Node 24) — DID NOT RUN`);
    failed += 1;
    continue;
  }
  passed += r.passed;
  failed += r.failed;
  failureLines.push(...describeFailures(`${suite} (Node 24)`, r.failures));
  console.log(`  ${suite} (Node 24): ${r.passed} passed, ${r.failed} failed`);
}
const line = `${passed} passed, ${failed} failed`;
writeFileSync(join(root, 'test-summary-node24.txt'), `${line}\n`);
writeFileSync(join(root, 'test-failures-node24.txt'), failureLines.map((l) => `${l}\n`).join(''));
for (const l of failureLines) console.log(l);
console.log(`Node 24: ${line}`);
process.exitCode = failed > 0 ? 1 : 0;
