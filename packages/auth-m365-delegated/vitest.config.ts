import { mailplugVitestConfig } from '@mailplug/vitest-config';

export default mailplugVitestConfig({ test: { setupFiles: ['./test/setup.ts'] } });
