// Shared tsup preset: every publishable package builds its one entry to ESM + CJS + d.ts for
// Node 20; packages with a command-line tool add an ESM-only bin entry (tsup keeps the shebang).
import { defineConfig } from 'tsup';

/**
 * @param {{ bin?: string }} [options] `bin`: the command-line entry, e.g. `src/cli.ts`.
 */
export function mailplugTsupConfig(options = {}) {
  const library = {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    // Two parallel builds must not clean each other's output.
    clean: !options.bin,
    sourcemap: true,
    target: 'node20',
  };
  if (!options.bin) return defineConfig(library);
  return defineConfig([
    library,
    { entry: [options.bin], format: ['esm'], dts: false, clean: false, sourcemap: true, target: 'node20' },
  ]);
}
