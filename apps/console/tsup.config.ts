import { defineConfig } from 'tsup';

// The console is a command-line tool, not a library: one ESM bin entry, no library build or d.ts
// (the shared preset in @mailplug/tsup-config always builds `src/index.ts`).
export default defineConfig({
  entry: ['src/cli.ts'],
  format: ['esm'],
  dts: false,
  clean: true,
  sourcemap: true,
  target: 'node20',
});
