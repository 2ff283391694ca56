import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { scaffoldAdapter } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'create-adapter-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const packageDir = new URL('..', import.meta.url).pathname;

it('writes the adapter template: manifest in package.json, provider file, index, conformance test', async () => {
  const result = await scaffoldAdapter({ directory: join(root, 'mailplug-corp-idp'), label: 'Corp ID' });
  expect(result.files).toEqual([
    '.gitignore',
    'README.md',
    'package.json',
    'src/corp-idp-provider.ts',
    'src/index.ts',
    'test/conformance.test.ts',
    'test/oauth-environment.ts',
    'tsconfig.build.json',
    'tsconfig.json',
    'vitest.config.ts',
  ]);
  const pkg = JSON.parse(readFileSync(join(result.directory, 'package.json'), 'utf8'));
  expect(pkg.mailplug.authProviders[0]).toMatchObject({ id: 'corp-idp', label: 'Corp ID' });
  expect(Object.keys(pkg.peerDependencies)).toEqual(['@mailplug/core']);
  expect(pkg.dependencies).toBeUndefined();
  const provider = readFileSync(join(result.directory, 'src/corp-idp-provider.ts'), 'utf8');
  expect(provider).toContain('export function createCorpIdp(');
  expect(provider).toContain('export const corpIdp: AuthProvider');
  expect(provider).toContain("readAdapterManifest(createRequire(import.meta.url)('../package.json'))");
  expect(provider).not.toMatch(/__[A-Z_]+__/);
  const test = readFileSync(join(result.directory, 'test/conformance.test.ts'), 'utf8');
  expect(test.trim().split('\n').length).toBeLessThan(15);
});

it('refuses a directory that is not empty', async () => {
  const directory = join(root, 'taken');
  await scaffoldAdapter({ directory });
  writeFileSync(join(directory, 'notes.txt'), 'mine');
  await expect(scaffoldAdapter({ directory })).rejects.toMatchObject({
    message: expect.stringContaining('is not empty'),
  });
});

it("the scaffolded provider typechecks and passes the conformance suite against this workspace's core, testkit and emulator", async () => {
  const { directory } = await scaffoldAdapter({ directory: join(root, 'mailplug-acme-mail') });
  // The workspace packages stand in for the published ones (the publish rehearsal installs those).
  symlinkSync(join(packageDir, 'node_modules'), join(directory, 'node_modules'), 'dir');
  const run = (bin: string, args: string[]) =>
    spawnSync(join(directory, 'node_modules/.bin', bin), args, {
      cwd: directory,
      encoding: 'utf8',
      timeout: 180_000,
      env: { ...process.env, CI: 'true' },
    });
  const tsc = run('tsc', ['-p', 'tsconfig.json']);
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
  const vitest = run('vitest', ['run', '--reporter=json', '--outputFile=conformance.json']);
  expect(vitest.status, vitest.stderr).toBe(0);
  const report = JSON.parse(readFileSync(join(directory, 'conformance.json'), 'utf8'));
  const checks = report.testResults.flatMap(
    (file: { assertionResults: { title: string; status: string }[] }) =>
      file.assertionResults.map((a) => `${a.status} ${a.title}`),
  );
  // The lifecycle checks of an OAuth provider with browser sign-in, each run and passed.
  for (const check of [
    /interactive\.complete/,
    /denied consent/,
    /refreshed credential/,
    /revoked grant/,
    /signOut/,
  ])
    expect(checks).toContainEqual(expect.stringMatching(new RegExp(`^passed .*${check.source}`)));
  expect(report.numFailedTests).toBe(0);
  expect(report.numPendingTests).toBe(0);
}, 240_000);
