import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, inject, it } from 'vitest';
import { run } from '../support/commands.js';
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
