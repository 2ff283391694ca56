import { existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect, inject, it } from 'vitest';
import { outsideEnv, run } from '../support/commands.js';
import { publicPackages, workspaceRoot } from '../support/workspace.js';

const rehearsal = inject('rehearsal');

// The repository's own check (`pnpm check:packages`: publint --strict and arethetypeswrong on the
// packed package), run on the versioned copy that was published rather than re-implemented here.
it('publint and arethetypeswrong pass for every published package, as versioned', async () => {
  const modules = join(rehearsal.copy, 'node_modules');
  if (!existsSync(modules)) symlinkSync(join(workspaceRoot, 'node_modules'), modules, 'dir');
  const output = await run('node', ['tooling/scripts/check-packages.mjs'], {
    cwd: rehearsal.copy,
    env: outsideEnv(),
    timeoutMs: 280_000,
  });
  for (const { name } of publicPackages()) {
    expect(output).toContain(`ok   publint ${name}`);
    expect(output).toContain(`ok   attw ${name}`);
  }
  expect(output).not.toContain('FAIL');
});
