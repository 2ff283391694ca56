/**
 * @mailplug/testkit — conformance suites for auth providers and mail protocols, plus the test
 * servers they run against.
 */
export * from './auth-provider-suite.js';
export * from './certificates/index.js';
export * from './mail-protocol-suite.js';
export * from './manifest-check.js';
export * from './smtp-test-server.js';
export * from './wire-tap.js';
