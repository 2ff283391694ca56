import { mailplugVitestConfig } from '@mailplug/vitest-config';

export default mailplugVitestConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'rehearsal',
          include: ['test/rehearsal/**/*.test.ts'],
          globalSetup: ['test/rehearsal/global-setup.ts'],
          // One outside-user journey at a time: installs and servers share two cores.
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: { name: 'fixtures', include: ['fixtures/**/test/**/*.test.ts'] },
      },
    ],
  },
});
