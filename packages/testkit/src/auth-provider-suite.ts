import type { AuthProvider } from '@mailplug/core';
import { createAuthHarness, userSignIn } from './suites/auth/auth-harness.js';
import type { AuthProviderFactory, AuthProviderSuiteOptions } from './suites/auth/auth-options.js';
import { SUITE_RETRY } from './suites/auth/auth-options.js';
import { type AuthProviderCheck, contractChecks } from './suites/auth/contract-checks.js';
import { lifecycleChecks } from './suites/auth/lifecycle-checks.js';
import { redactionCheck } from './suites/auth/redaction-check.js';
import {
  deniedConsentCheck,
  deviceCodeCheck,
  interactiveBeginCheck,
  interactiveCompleteCheck,
  signInRequiredCheck,
  signInStateExpiryCheck,
} from './suites/auth/sign-in-checks.js';
import { ConformanceError, registerChecks, type TestFunction } from './suites/conformance.js';

export type {
  AdapterPackageJson,
  AuthProviderFactory,
  AuthProviderOptOutId,
  AuthProviderSuiteOptions,
  FaultHandle,
  InvalidSettingsCase,
  ProviderEnvironment,
  SuiteProviderOptions,
  SuiteRetryPolicy,
} from './suites/auth/auth-options.js';
export { SUITE_RETRY } from './suites/auth/auth-options.js';
export type { AuthProviderCheck } from './suites/auth/contract-checks.js';

const oauth = (p: AuthProvider) => p.capabilities.credentialKind === 'oauth2';

/** Which checks apply, read from the provider's capabilities (which come from its manifest). */
export function authProviderChecksFor(provider: AuthProvider): AuthProviderCheck[] {
  const c = provider.capabilities;
  return [
    ...contractChecks,
    ...(userSignIn(provider) ? [signInRequiredCheck] : []),
    ...(c.interactive
      ? [interactiveBeginCheck, interactiveCompleteCheck, deniedConsentCheck, signInStateExpiryCheck]
      : []),
    ...(c.deviceCode ? [deviceCodeCheck] : []),
    redactionCheck,
    ...lifecycleChecks.filter((check) => {
      if (check.id === 'signOut') return true;
      if (check.id === 'revokedGrant' || check.id === 'rotation')
        return oauth(provider) && userSignIn(provider);
      return oauth(provider);
    }),
  ];
}

/**
 * Runs one check against a fresh provider, outside any runner: handy while developing an adapter,
 * and how this package proves each check fails on a broken provider. Rejects with a
 * `ConformanceError` naming the broken rule.
 *
 * @example
 * await runAuthProviderCheck('refreshExpiry', (o) => createAcmeOAuth(o), { packageJson, environment });
 */
export async function runAuthProviderCheck(
  id: string,
  factory: AuthProviderFactory,
  options: AuthProviderSuiteOptions,
): Promise<void> {
  const check = authProviderChecksFor(factory({ retry: SUITE_RETRY })).find((c) => c.id === id);
  if (!check) throw new ConformanceError(`"${id}" is not a check that applies to this provider.`);
  await runCheck(check, factory, options);
}

async function runCheck(
  check: AuthProviderCheck,
  factory: AuthProviderFactory,
  options: AuthProviderSuiteOptions,
): Promise<void> {
  await options.setup?.();
  try {
    const harness = await createAuthHarness(factory, options);
    try {
      await check.run(harness);
    } finally {
      await harness.dispose();
    }
  } finally {
    await options.teardown?.();
  }
}

/**
 * The conformance suite every auth provider passes (Keyv test-suite style): one test per check, a
 * fresh provider from `factory` for each. Which checks run follows from the provider itself — its
 * capabilities, read from its manifest — and the suite fails when the manifest, the capabilities
 * and the sessions disagree. The suite builds every session itself (stores it can inspect, a
 * clock it moves, a fast retry policy passed to `factory`); lifecycle checks are on by default
 * and `optOut` needs a reason, which is printed.
 *
 * @example
 * // auth-gmail-oauth/test/conformance.test.ts
 * authProviderSuite(it, (o) => createGmailOAuth(o), {
 *   packageJson,
 *   environment: emulatorEnvironment(() => emulator),
 * });
 */
export function authProviderSuite(
  it: TestFunction,
  factory: AuthProviderFactory,
  options: AuthProviderSuiteOptions,
): void {
  const provider = factory({ retry: SUITE_RETRY });
  registerChecks(it, `${provider.id} conformance`, authProviderChecksFor(provider), options.optOut, (check) =>
    runCheck(check, factory, options),
  );
}
