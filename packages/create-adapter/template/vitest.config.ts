import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The conformance suite signs in through the emulator; allow for a slow machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
