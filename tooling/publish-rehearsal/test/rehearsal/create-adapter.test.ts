import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, inject, it } from 'vitest';
import { npm, outsideEnv, run } from '../support/commands.js';

const rehearsal = inject('rehearsal');

it('npm create @mailplug/adapter scaffolds a provider whose own npm test runs the conformance suite green', async () => {
  const parent = join(rehearsal.work, 'third-party');
  mkdirSync(parent, { recursive: true });
  // An outside developer's machine: their user .npmrc takes @mailplug/* from the (local) registry.
  const userconfig = join(parent, 'user.npmrc');
  writeFileSync(userconfig, rehearsal.npmrc);
  const env = outsideEnv({ npm_config_userconfig: userconfig });
  const version = rehearsal.versions['@mailplug/create-adapter'];
  const created = await npm(
    [
      'create',
      `@mailplug/adapter@${version}`,
      '--yes',
      `--cache=${join(parent, 'npx-cache')}`,
      '--',
      'mailplug-acme-mail',
      '--label',
      'Acme Mail',
    ],
    { cwd: parent, env },
  );
  expect(created).toContain('Created mailplug-acme-mail (provider "acme-mail")');
  const dir = join(parent, 'mailplug-acme-mail');
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  expect(pkg.peerDependencies).toEqual({ '@mailplug/core': `^${rehearsal.versions['@mailplug/core']}` });
  expect(pkg.devDependencies['@mailplug/testkit']).toBe(`^${rehearsal.versions['@mailplug/testkit']}`);

  await npm(['install'], { cwd: dir, env });
  await run('npm', ['run', 'typecheck'], { cwd: dir, env });
  const test = await run('npm', ['test', '--', '--reporter=json', '--outputFile=conformance.json'], {
    cwd: dir,
  });
  const report = JSON.parse(readFileSync(join(dir, 'conformance.json'), 'utf8'));
  expect(report.numFailedTests, test).toBe(0);
  expect(report.numPendingTests).toBe(0);
  const titles: string[] = report.testResults.flatMap((f: { assertionResults: { title: string }[] }) =>
    f.assertionResults.map((a) => a.title),
  );
  expect(titles.filter((t) => t.startsWith('acme-mail conformance')).length).toBe(report.numPassedTests);
  expect(titles.join('\n')).toMatch(/denied consent/);
  expect(titles.join('\n')).toMatch(/revoked grant/);

  // The package builds and packs as it would be published.
  const packed = await run('npm', ['pack', '--dry-run', '--json'], { cwd: dir, env });
  const files = JSON.parse(packed.slice(packed.indexOf('[')))[0].files.map((f: { path: string }) => f.path);
  expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'package.json']));
  expect(existsSync(join(dir, 'dist', 'acme-mail-provider.js'))).toBe(true);
});
