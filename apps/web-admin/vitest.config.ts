import { mailplugVitestConfig } from '@mailplug/vitest-config';

// One Chromium at a time on the 2-core machines: the browser suites run one file after another.
export default mailplugVitestConfig({ test: { fileParallelism: false, testTimeout: 90_000 } });
