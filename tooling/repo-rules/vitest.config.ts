import { mailplugVitestConfig } from '@mailplug/vitest-config';

export default mailplugVitestConfig();
