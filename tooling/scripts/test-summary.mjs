// Totals every workspace package's vitest JSON result into one "N passed, N failed" line.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const group of ['packages', 'apps', 'tooling']) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const file = join(dir, name, 'test-results.json');
    if (!existsSync(file)) continue;
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    rows.push(`${group}/${name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  }
}
for (const row of rows) console.log(`  ${row}`);
const extra = process.env.MAILPLUG_EXTRA_RESULTS;
if (extra && existsSync(extra)) {
  for (const line of readFileSync(extra, 'utf8').split('\n')) {
    const m = /^(\S+): (\d+) passed, (\d+) failed/.exec(line);
    if (!m) continue;
    passed += Number(m[2]);
    failed += Number(m[3]);
    console.log(`  ${line}`);
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
