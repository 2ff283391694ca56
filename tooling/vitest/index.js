// Shared vitest preset: every package writes a machine-readable result file so that CI can
// total passed/failed across all suites (tooling/scripts/run-tests.mjs).
import { defineConfig, mergeConfig } from 'vitest/config';

/** @param {import('vitest/config').UserConfig} [overrides] */
export function mailplugVitestConfig(overrides = {}) {
  return mergeConfig(
    defineConfig({
      test: {
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        reporters: ['default', 'json'],
        outputFile: { json: 'test-results.json' },
        testTimeout: 30_000,
        hookTimeout: 60_000,
        pool: 'forks',
      },
    }),
    overrides,
  );
}
