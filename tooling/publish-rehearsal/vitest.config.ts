import { mailplugVitestConfig } from '@mailplug/vitest-config';

// Two projects with their own file sets (not `extends`, which would add the preset's include globs).
export default mailplugVitestConfig({
  test: {
    projects: [
      {
        test: {
          name: 'rehearsal',
          include: ['test/rehearsal/**/*.test.ts'],
          globalSetup: ['test/rehearsal/global-setup.ts'],
          // One outside-user journey at a time: installs and servers share two cores.
          fileParallelism: false,
          pool: 'forks',
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'fixtures',
          include: ['fixtures/**/test/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
