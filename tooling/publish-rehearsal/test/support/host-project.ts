import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rehearsal } from '../rehearsal/global-setup.js';
import { npm } from './commands.js';

/** What the outside host project installs from the local registry. */
const HOST_PACKAGES = [
  '@mailplug/core',
  '@mailplug/auth-basic',
  '@mailplug/auth-gmail-oauth',
  '@mailplug/auth-m365-app-only',
  '@mailplug/protocol-smtp',
  '@mailplug/emulator',
];

/**
 * A host application outside the workspace (in the rehearsal's temp dir): `@mailplug/*` from the
 * local registry, everything else from the machine's registry, TypeScript to compile the docs'
 * examples. Installed once; the rehearsal's test files run one after another and share it.
 */
export async function hostProject(rehearsal: Rehearsal): Promise<string> {
  const dir = join(rehearsal.work, 'host');
  const marker = join(dir, 'node_modules', '.rehearsal-installed');
  if (existsSync(marker)) return dir;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.npmrc'), rehearsal.npmrc);
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify(
      {
        name: 'rehearsal-host',
        private: true,
        type: 'module',
        dependencies: Object.fromEntries(HOST_PACKAGES.map((name) => [name, rehearsal.versions[name]])),
      },
      null,
      2,
    )}\n`,
  );
  await npm(['install', 'typescript@^5.9.3', '@types/node@^20.19.0', '--save-dev'], { cwd: dir });
  writeFileSync(marker, '');
  return dir;
}
