import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles worker-child.ts into one .mjs that bare `node` runs (Node 20 cannot run TypeScript).
 * The native better-sqlite3 and ioredis stay external; the bundle is written inside this package
 * so Node resolves them from its node_modules.
 */
export async function buildWorkerChild(): Promise<string> {
  const outDir = fileURLToPath(new URL('../../node_modules/.cache/outbox-crash/', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `worker-child-${process.pid}.mjs`);
  await build({
    entryPoints: [fileURLToPath(new URL('./worker-child.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    external: ['better-sqlite3', 'ioredis'],
    // nodemailer and friends are CommonJS: give the ESM bundle a require.
    banner: {
      js: "import { createRequire as __mpCreateRequire } from 'node:module'; const require = __mpCreateRequire(import.meta.url);",
    },
    logLevel: 'error',
  });
  return outfile;
}
