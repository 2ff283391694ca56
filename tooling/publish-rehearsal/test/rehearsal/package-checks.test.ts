import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, inject, it } from 'vitest';
import { outsideEnv, run } from '../support/commands.js';
import { workspaceRoot } from '../support/workspace.js';

const rehearsal = inject('rehearsal');
const bin = (name: string) => join(workspaceRoot, 'node_modules', '.bin', name);

/** The tarball the registry serves for `name@version`: exactly what an outside user downloads. */
async function publishedTarball(name: string, version: string, dir: string): Promise<string> {
  const meta = await fetch(`${rehearsal.registry}${name.replace('/', '%2f')}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const packument = (await meta.json()) as { versions: Record<string, { dist: { tarball: string } }> };
  const url = packument.versions[version]?.dist.tarball;
  if (!url) throw new Error(`${name}@${version} is not on the local registry.`);
  const tarball = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  const file = join(dir, `${name.replace('@', '').replace('/', '-')}-${version}.tgz`);
  writeFileSync(file, Buffer.from(await tarball.arrayBuffer()));
  return file;
}

// The checks of `pnpm check:packages` (publint --strict, arethetypeswrong with the node16 profile),
// here on the tarballs as published: after `changeset version` and pnpm's rewriting of the manifest.
async function check(name: string, version: string, dir: string): Promise<string[]> {
  const file = await publishedTarball(name, version, dir);
  const unpacked = join(dir, `${name.replace('/', '-')}-unpacked`);
  mkdirSync(unpacked, { recursive: true });
  await run('tar', ['-xzf', file, '-C', unpacked], { cwd: dir });
  const problems: string[] = [];
  const attempt = async (tool: string, args: string[]) => {
    await run(bin(tool), args, { cwd: dir, env: outsideEnv() }).catch((error: Error) =>
      problems.push(`${tool} ${name}: ${error.message}`),
    );
  };
  await attempt('publint', [join(unpacked, 'package'), '--strict', '--pack', 'false']);
  await attempt('attw', [file, '--profile', 'node16', '--format', 'table-flipped']);
  return problems;
}

it('publint and arethetypeswrong pass on every tarball the registry serves', async () => {
  const dir = join(rehearsal.work, 'tarballs');
  mkdirSync(dir, { recursive: true });
  const queue = Object.entries(rehearsal.versions);
  const problems: string[] = [];
  // Two at a time: the machine has two cores.
  await Promise.all(
    [0, 1].map(async () => {
      for (let next = queue.shift(); next; next = queue.shift())
        problems.push(...(await check(next[0], next[1], dir)));
    }),
  );
  expect(problems).toEqual([]);
});
