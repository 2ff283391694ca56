// Reads one vitest JSON report: the counts the totals line adds up, and the failing tests by name
// so the end of a CI log says which test failed (the log's head is often cut off).
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

export function readVitestResults(file, suiteDir) {
  if (!existsSync(file)) return undefined;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const failures = [];
  let brokenFiles = 0;
  for (const f of r.testResults ?? []) {
    const where = relative(suiteDir, f.name ?? '');
    const failedTests = (f.assertionResults ?? []).filter((a) => a.status === 'failed');
    for (const a of failedTests) {
      failures.push({ where, name: a.fullName ?? a.title, message: firstLine(a.failureMessages?.[0]) });
    }
    // A test file that failed without any failing test (it did not load, or a hook threw) is one
    // more failure; a file whose tests failed is already counted through them.
    if (f.status === 'failed' && failedTests.length === 0) {
      brokenFiles += 1;
      failures.push({ where, name: '(the file itself)', message: firstLine(f.message) });
    }
  }
  return {
    passed: r.numPassedTests,
    failed: r.numFailedTests + brokenFiles,
    skipped: r.numPendingTests + (r.numTodoTests ?? 0),
    failures,
  };
}

export function describeFailures(label, failures) {
  return failures.map((f) => `FAILED ${label} ${f.where} > ${f.name}${f.message ? ` — ${f.message}` : ''}`);
}

function firstLine(text) {
  if (!text) return '';
  const line =
    String(text)
      .replace(/\u001b\[[0-9;]*m/g, '')
      .split('\n')
      .find((l) => l.trim()) ?? '';
  return line.trim().slice(0, 240);
}
