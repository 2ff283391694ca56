import { mailplugVitestConfig } from '@mailplug/vitest-config';

// One file at a time: the crash tests run worker processes and must not compete with each other
// for the two cores.
export default mailplugVitestConfig({ test: { fileParallelism: false } });
