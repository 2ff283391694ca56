import type { AuthProviderDefinition } from '@mailplug/core';
import { type AuthProviderSuiteOptions, authProviderChecks } from './suites/auth-provider-checks.js';
import { registerChecks, type TestFunction } from './suites/conformance.js';

export {
  type AuthProviderCheck,
  type AuthProviderSuiteOptions,
  authProviderChecks,
  type InvalidSettingsCase,
} from './suites/auth-provider-checks.js';
export {
  type AuthProviderLifecycleOptions,
  authProviderLifecycleChecks,
  type RefreshScenario,
  type RotationScenario,
  type TransientScenario,
} from './suites/auth-provider-lifecycle-checks.js';
export { type Check, ConformanceError, type SuiteHooks, type TestFunction } from './suites/conformance.js';

/**
 * The conformance suite every auth provider passes (Keyv test-suite style): one test per contract
 * check, a fresh definition from `factory` for each, groups switched by capability flags.
 *
 * @example
 * // auth-basic/src/conformance.test.ts
 * import { it } from 'vitest';
 * import { authProviderSuite } from '@mailplug/testkit';
 * authProviderSuite(it, () => basicAuth(), basicSuiteOptions);
 */
export function authProviderSuite(
  it: TestFunction,
  factory: () => AuthProviderDefinition | Promise<AuthProviderDefinition>,
  options: AuthProviderSuiteOptions,
): void {
  registerChecks(it, 'auth provider conformance', Object.values(authProviderChecks), factory, options);
}
