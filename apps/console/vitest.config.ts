import { mailplugVitestConfig } from '@mailplug/vitest-config';

export default mailplugVitestConfig({ test: { globalSetup: ['test/global-setup.ts'] } });
