/**
 * The release as a maintainer runs it, on a throwaway copy: `changeset version`, then
 * `changeset publish` of every public package to a local Verdaccio. The tests then install from it
 * like an outside user.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { outsideEnv, run } from '../support/commands.js';
import { startLocalRegistry } from '../support/verdaccio.js';
import { copyWorkspace, publicPackages, readManifest, workspaceRoot } from '../support/workspace.js';

export interface Rehearsal {
  /** Scratch space for the tests' projects; removed afterwards. */
  readonly work: string;
  /** The versioned copy that was published. */
  readonly copy: string;
  readonly registry: string;
  /** `.npmrc` lines for a project that installs `@mailplug/*` from the local registry. */
  readonly npmrc: string;
  /** Package name → the version `changeset version` gave it (and that was published). */
  readonly versions: Record<string, string>;
  /** What `changeset publish` printed. */
  readonly publishLog: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    rehearsal: Rehearsal;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const work = mkdtempSync(join(tmpdir(), 'mailplug-rehearsal-'));
  const copy = join(work, 'repo');
  mkdirSync(copy);
  const registryDir = join(work, 'verdaccio');
  mkdirSync(registryDir);
  const registry = await startLocalRegistry(registryDir);
  try {
    await copyWorkspace(copy);
    const changeset = join(workspaceRoot, 'node_modules', '.bin', 'changeset');
    // changeset-version and changeset-publish read git; the copy gets a repository of its own.
    const git = outsideEnv({
      GIT_AUTHOR_NAME: 'rehearsal',
      GIT_AUTHOR_EMAIL: 'rehearsal@example.test',
      GIT_COMMITTER_NAME: 'rehearsal',
      GIT_COMMITTER_EMAIL: 'rehearsal@example.test',
    });
    await run('git', ['init', '-q', '-b', 'main'], { cwd: copy, env: git });
    await run(changeset, ['version'], { cwd: copy, env: git });
    const versions = Object.fromEntries(
      publicPackages(copy).map(({ name, folder }) => [
        name,
        readManifest(join(copy, 'packages', folder)).version,
      ]),
    );
    // Every way npm and pnpm pick a registry points at Verdaccio: the copy's .npmrc and the variables
    // changesets reads, so `changeset publish` cannot reach any other registry.
    writeFileSync(join(copy, '.npmrc'), `registry=${registry.url}\n${registry.npmrc}`);
    const publishLog = await run(changeset, ['publish', '--no-git-tag'], {
      cwd: copy,
      env: { ...git, npm_config_registry: registry.url, 'npm_config_@mailplug:registry': registry.url },
      timeoutMs: 300_000,
    });
    project.provide('rehearsal', {
      work,
      copy,
      registry: registry.url,
      npmrc: registry.npmrc,
      versions,
      publishLog,
    });
  } catch (error) {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
  return async () => {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  };
}
