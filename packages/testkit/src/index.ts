/**
 * @mailplug/testkit — conformance suites for auth providers, mail protocols and token stores, the
 * test servers they run against, and the small helpers adapter tests share.
 */
export * from './auth-provider-suite.js';
export * from './certificates/index.js';
export * from './emulator-environment.js';
export * from './mail-protocol-suite.js';
export * from './manifest-check.js';
export * from './pop3-test-server.js';
export * from './property-run.js';
export * from './redis-test-server.js';
export * from './smtp-test-server.js';
export { ConformanceError, describeError, type SuiteHooks, type TestFunction } from './suites/conformance.js';
export * from './suites/suite-stores.js';
export * from './test-helpers.js';
export * from './tinyproxy-test-server.js';
export * from './token-store-suite.js';
export * from './wire-tap.js';
