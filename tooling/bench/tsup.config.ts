import { defineConfig } from 'tsup';

export default defineConfig([
  // The package entry: pure helpers (ESM + CJS + d.ts), like every workspace package.
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    target: 'node20',
  },
  // The runnable scripts. One self-contained file each (no shared chunks), so a cold-start child
  // loads nothing but itself before it measures; workspace packages stay external (dependencies).
  {
    entry: [
      'src/run.ts',
      'src/smtp-client.ts',
      'src/receive-client.ts',
      'src/cold-start-child.ts',
      'src/count-hook.ts',
    ],
    format: ['esm'],
    splitting: false,
    sourcemap: true,
    target: 'node20',
  },
]);
