import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library: `.` is the only export.
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
  },
  {
    // The `mailplug-emulator` bin (ESM only, no types).
    entry: ['src/cli.ts'],
    format: ['esm'],
    dts: false,
    clean: false,
    sourcemap: true,
    target: 'node20',
  },
]);
