import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './commands.js';

/** The monorepo this package lives in. */
export const workspaceRoot = new URL('../../../../', import.meta.url).pathname.replace(/\/$/, '');

export interface PublicPackage {
  readonly name: string;
  /** Folder under `packages/`. */
  readonly folder: string;
}

/** Every package under `packages/` that is not private: what a release publishes. */
export function publicPackages(root = workspaceRoot): PublicPackage[] {
  return readdirSync(join(root, 'packages'))
    .filter((folder) => existsSync(join(root, 'packages', folder, 'package.json')))
    .map((folder) => ({
      folder,
      pkg: JSON.parse(readFileSync(join(root, 'packages', folder, 'package.json'), 'utf8')),
    }))
    .filter(({ pkg }) => !pkg.private)
    .map(({ folder, pkg }) => ({ name: String(pkg.name), folder }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * A throwaway copy of the workspace to version and publish from: the files git knows (tracked and
 * not ignored), plus each public package's built `dist/`. The repository's own `.changeset/` and
 * versions are never touched.
 */
export async function copyWorkspace(dest: string, root = workspaceRoot): Promise<void> {
  await run(
    'bash',
    ['-c', `git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C '${dest}'`],
    {
      cwd: root,
      env: process.env,
    },
  );
  for (const { name, folder } of publicPackages(root)) {
    const dist = join(root, 'packages', folder, 'dist');
    // Packages this one lists as devDependencies are built first by turbo; a newer one is built here.
    if (!existsSync(dist)) await run('pnpm', ['--filter', name, 'build'], { cwd: root, env: process.env });
    cpSync(dist, join(dest, 'packages', folder, 'dist'), { recursive: true });
  }
}

/** A package.json as JSON. */
export function readManifest(dir: string): Record<string, unknown> & { name: string; version: string } {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
}
