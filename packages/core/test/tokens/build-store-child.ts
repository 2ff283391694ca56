import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface EsbuildLike {
  build(options: Record<string, unknown>): Promise<unknown>;
}

/**
 * Bundles store-child.ts into one plain .mjs so child processes run the real store code with bare
 * `node` (Node 20 cannot run TypeScript). esbuild is tsup's own dependency, resolved through tsup.
 */
export async function buildStoreChild(outDir: string): Promise<string> {
  const requireHere = createRequire(import.meta.url);
  const esbuild = createRequire(requireHere.resolve('tsup'))('esbuild') as EsbuildLike;
  const outfile = join(outDir, 'store-child.mjs');
  await esbuild.build({
    entryPoints: [fileURLToPath(new URL('./store-child.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

/** Runs the child to completion and resolves with its exit code and output. */
export function runStoreChild(
  bundle: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
