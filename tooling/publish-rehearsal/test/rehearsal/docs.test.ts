import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, inject, it } from 'vitest';
import { npm, outsideEnv, run } from '../support/commands.js';
import { hostProject } from '../support/host-project.js';
import { codeBlocks } from '../support/markdown.js';

const rehearsal = inject('rehearsal');
const docs = new URL('../../../../docs/', import.meta.url);
let host: string;

/** Strict TypeScript as an outside project compiles it: Node ESM, the packages' published types. */
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    types: ['node'],
    outDir: 'compiled',
  },
};

beforeAll(async () => {
  host = await hostProject(rehearsal);
});

it('docs/host-developers.md: every ts block, in order, compiles with strict tsc and runs against the emulator', async () => {
  const blocks = codeBlocks(new URL('host-developers.md', docs)).filter((b) => b.language === 'ts');
  expect(blocks.length).toBeGreaterThan(5);
  const source = blocks.map((b) => `// docs/host-developers.md:${b.line}\n${b.code}`).join('\n');
  writeFileSync(join(host, 'host-guide.ts'), source);
  writeFileSync(
    join(host, 'tsconfig.json'),
    JSON.stringify({ ...TSCONFIG, files: ['host-guide.ts'] }, null, 2),
  );
  const compiled = await run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: host }).catch((error: Error) => {
    throw new Error(`The guide does not compile:\n${error.message}`);
  });
  expect(compiled).toBe('');
  const output = await run('node', ['compiled/host-guide.js'], { cwd: host, timeoutMs: 120_000 });
  // What each step of the guide prints, from the published packages against the emulator.
  expect(output).toMatch(/^authProvider gmail-oauth: /m);
  expect(output).toMatch(/^sent <.+> to client@example\.com via smtp$/m);
  expect(output).toMatch(/^signed in as alice@contoso\.test$/m);
  expect(output).toMatch(/^authorized; access token until \d{4}-/m);
  expect(output).toMatch(/^sign-out: revoked$/m);
  expect(output).toMatch(/^app-only send via smtp$/m);
  expect(output).toMatch(/^user: SIGN_IN_REQUIRED — /m);
});

it('docs/provider-authors.md: its files, written into a package from npm create @mailplug/adapter, typecheck and pass', async () => {
  const blocks = codeBlocks(new URL('provider-authors.md', docs));
  const files = blocks.filter((b) => b.language === 'ts' && b.title);
  expect(files.map((b) => b.title)).toEqual([
    'test/quirks.test.ts',
    'test/token-lifetime.test.ts',
    'test/host.test.ts',
  ]);
  const parent = join(rehearsal.work, 'provider-guide');
  mkdirSync(parent, { recursive: true });
  const userconfig = join(parent, 'user.npmrc');
  writeFileSync(userconfig, rehearsal.npmrc);
  const env = outsideEnv({ npm_config_userconfig: userconfig });
  const version = rehearsal.versions['@mailplug/create-adapter'];
  await npm(
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
    {
      cwd: parent,
      env,
    },
  );
  const dir = join(parent, 'mailplug-acme-mail');
  for (const block of files) writeFileSync(join(dir, block.title ?? ''), block.code);

  // The guide's manifest is the one the scaffold writes.
  const guide = blocks.find((b) => b.language === 'json' && b.code.includes('"mailplug"'));
  const shown = JSON.parse(`{${guide?.code ?? ''}}`).mailplug.authProviders[0];
  const written = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).mailplug.authProviders[0];
  expect(shown.capabilities).toEqual(written.capabilities);
  const shape = (f: { key: string; type: string; default?: unknown }) => [f.key, f.type, f.default];
  expect(shown.settingsSchema.fields.map(shape)).toEqual(written.settingsSchema.fields.map(shape));

  await npm(['install'], { cwd: dir, env });
  await run('npm', ['run', 'typecheck'], { cwd: dir, env });
  await run('npm', ['test', '--', '--reporter=json', '--outputFile=results.json'], { cwd: dir, env });
  const report = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  const byFile = Object.fromEntries(
    report.testResults.map((f: { name: string; status: string }) => [f.name.slice(dir.length + 1), f.status]),
  );
  expect(byFile).toEqual({
    'test/conformance.test.ts': 'passed',
    'test/quirks.test.ts': 'passed',
    'test/token-lifetime.test.ts': 'passed',
    'test/host.test.ts': 'passed',
  });
  expect(report.numFailedTests).toBe(0);
});
