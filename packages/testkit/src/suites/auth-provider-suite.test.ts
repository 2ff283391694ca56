import { afterEach, describe, expect, it, vi } from 'vitest';
import { authProviderChecksFor, authProviderSuite } from '../auth-provider-suite.js';
import type { AuthProviderFactory, AuthProviderSuiteOptions } from './auth/auth-options.js';
import {
  createFakeIdentityProvider,
  type FakeIdentityProvider,
  fakeOAuthPackageJson,
  fakeOAuthProvider,
} from './test-oauth-subject.js';
import { passwordPackageJson, passwordProvider } from './test-subjects.js';

/** The identity provider of the current check: a fresh one before each (the suite's setup hook). */
let idp: FakeIdentityProvider = createFakeIdentityProvider();
const oauthFactory: AuthProviderFactory = (options) => fakeOAuthProvider(idp, undefined, options);
const oauthOptions: AuthProviderSuiteOptions = {
  packageJson: fakeOAuthPackageJson,
  environment: () => idp,
  setup() {
    idp = createFakeIdentityProvider();
  },
};

describe('authProviderSuite against an honest OAuth provider (interactive + device code)', () => {
  authProviderSuite(it, oauthFactory, oauthOptions);
});

describe('authProviderSuite against a password provider, settings derived from its schema', () => {
  authProviderSuite(it, () => passwordProvider(), { packageJson: passwordPackageJson });
});

describe('which checks the suite registers', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const registered = (factory: AuthProviderFactory, options: AuthProviderSuiteOptions) => {
    const names: string[] = [];
    authProviderSuite((name) => names.push(name), factory, options);
    return names;
  };

  it('follows the capabilities: user sign-in, interactive, device code and OAuth lifecycle checks only where they apply', () => {
    const oauth = authProviderChecksFor(
      oauthFactory({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } }),
    ).map((c) => c.id);
    expect(oauth).toEqual([
      'identity',
      'capabilities',
      'manifest',
      'settings',
      'session',
      'credential',
      'signInRequired',
      'interactiveBegin',
      'interactiveComplete',
      'deniedConsent',
      'signInStateExpiry',
      'deviceCode',
      'redaction',
      'signOut',
      'refreshExpiry',
      'transientFailure',
      'revokedGrant',
      'rotation',
    ]);
    const password = authProviderChecksFor(passwordProvider()).map((c) => c.id);
    expect(password).toEqual([
      'identity',
      'capabilities',
      'manifest',
      'settings',
      'session',
      'credential',
      'redaction',
      'signOut',
    ]);
    expect(registered(() => passwordProvider(), { packageJson: passwordPackageJson })).toHaveLength(8);
  });

  it('prints an opt-out with its reason instead of registering the check', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const names = registered(oauthFactory, {
      ...oauthOptions,
      optOut: { rotation: 'Our identity provider never rotates refresh tokens.' },
    });
    expect(names).toHaveLength(17);
    expect(names.some((n) => n.includes('rotated refresh token'))).toBe(false);
    expect(warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /suite-oauth conformance: not checking .*\(rotation\): Our identity provider never rotates/,
      ),
    );
  });

  it('refuses an opt-out without a reason, of a check that does not apply, or of the contract', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(() => registered(oauthFactory, { ...oauthOptions, optOut: { rotation: '' } })).toThrow(
      /needs a reason/,
    );
    expect(() =>
      registered(() => passwordProvider(), {
        packageJson: passwordPackageJson,
        optOut: { rotation: 'No refresh tokens here.' },
      }),
    ).toThrow(/not a check this subject runs/);
    expect(() =>
      registered(oauthFactory, {
        ...oauthOptions,
        optOut: { manifest: 'We do not want to.' } as NonNullable<AuthProviderSuiteOptions['optOut']>,
      }),
    ).toThrow(/part of the contract/);
  });
});
