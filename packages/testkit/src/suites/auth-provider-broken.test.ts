/** Each check of the auth provider suite fails on a provider that breaks its rule. */
import type { AuthProvider } from '@mailplug/core';
import { describe, it } from 'vitest';
import { runAuthProviderCheck } from '../auth-provider-suite.js';
import type { AuthProviderSuiteOptions, ProviderEnvironment } from './auth/auth-options.js';
import { failsWith } from './expect-conformance.js';
import {
  createFakeIdentityProvider,
  type FakeIdentityProvider,
  fakeOAuthPackageJson,
  fakeOAuthProvider,
  type OAuthBreakage,
} from './test-oauth-subject.js';
import { type PasswordBreakage, passwordPackageJson, passwordProvider } from './test-subjects.js';

function broken(
  breakage: OAuthBreakage | undefined,
  id: string,
  environment?: (idp: FakeIdentityProvider) => ProviderEnvironment,
) {
  const idp = createFakeIdentityProvider();
  const options: AuthProviderSuiteOptions = {
    packageJson: fakeOAuthPackageJson,
    environment: () => (environment ? environment(idp) : idp),
  };
  return runAuthProviderCheck(id, (o) => fakeOAuthProvider(idp, breakage, o), options);
}

const brokenPassword = (breakage: PasswordBreakage, id: string, packageJson: object = passwordPackageJson) =>
  runAuthProviderCheck(id, () => passwordProvider(breakage), { packageJson });

describe('the lifecycle checks fail on broken providers', () => {
  it('refreshExpiry: a refresh that keeps the old expiry', async () => {
    await failsWith(
      broken('keepsOldExpiry', 'refreshExpiry'),
      /must carry the new token's expiry; it says .* already past/,
    );
  });

  it('signOut: a signOut that keeps the tokens', async () => {
    await failsWith(
      broken('signOutKeepsTokens', 'signOut'),
      /^signOut left the account's keys in the token store: conformance-.*:tokens/,
    );
  });

  it('signOut: a signOut that keeps the tokens when the revocation fails', async () => {
    await failsWith(
      broken('keepsTokensWhenRevocationFails', 'signOut'),
      /signOut while revocation fails left the account's keys in the token store/,
    );
  });

  it('signOut: a signOut that returns nothing', async () => {
    await failsWith(
      brokenPassword('signOutReturnsNothing', 'signOut'),
      /must return a SignOutResult, got undefined/,
    );
  });

  it('transientFailure: an outage reported as "sign in again"', async () => {
    await failsWith(broken('transientAsReauth', 'transientFailure'), /must have action "retry", got "user"/);
  });

  it('transientFailure: an outage reported as misconfigured', async () => {
    await failsWith(
      broken('outageAsMisconfigured', 'transientFailure'),
      /must say "temporarilyUnavailable".*got "misconfigured"/,
    );
  });

  it('revokedGrant: a retry loop on a revoked grant', async () => {
    await failsWith(
      broken('retriesRevoked', 'revokedGrant'),
      /the identity provider saw [2-9] refresh attempts/,
    );
  });

  it('rotation: a rotated refresh token that was not persisted', async () => {
    await failsWith(
      broken('dropsRotatedToken', 'rotation'),
      /needs the rotated refresh token to have been persisted, failed/,
    );
  });

  it('rotation: an environment that cannot rotate must opt out, not pass', async () => {
    await failsWith(
      broken(undefined, 'rotation', (idp) => {
        idp.rotate = false;
        return idp;
      }),
      /does not rotate refresh tokens .* or opt out of "rotation"/,
    );
  });
});

describe('the redaction check finds secrets in every form', () => {
  it('a base64-encoded refresh token in an error message', async () => {
    await failsWith(
      broken('leaksBase64RefreshToken', 'redaction'),
      /the stored token "refreshToken" appears \(base64\) in the message of the error getCredential with planted secrets threw/,
    );
  });

  it('the first characters of a refresh token in a log line', async () => {
    await failsWith(
      broken('logsRefreshTokenPrefix', 'redaction'),
      /the stored token "refreshToken" appears \(first 12 characters\) in the log lines/,
    );
  });

  it('the first characters of a password in a log line', async () => {
    await failsWith(
      brokenPassword('logsPassword', 'redaction'),
      /the planted value of the secret setting "password" appears \(first 12 characters\) in the log lines/,
    );
  });
});

describe('the sign-in checks fail on broken providers', () => {
  it('signInStateExpiry: a sign-in state that never expires', async () => {
    await failsWith(
      broken('ignoresStateExpiry', 'signInStateExpiry'),
      /after the sign-in state expired should have failed but succeeded/,
    );
  });

  it('deniedConsent: a denied consent reported as an invalid state', async () => {
    await failsWith(
      broken('deniedAsInvalidState', 'deniedConsent'),
      /should fail with SIGN_IN_DENIED, got MailplugError \[SIGN_IN_STATE_INVALID\]/,
    );
  });

  it('interactiveBegin: one PKCE verifier for every sign-in', async () => {
    await failsWith(broken('reusesPkce', 'interactiveBegin'), /fresh PKCE verifier/);
  });

  it("interactiveComplete: a sign-in completed on another account's session", async () => {
    await failsWith(
      broken('stateNotBoundToAccount', 'interactiveComplete'),
      /on another account's session \(same store\) with this account's state should have failed but succeeded/,
    );
  });

  it('deviceCode: a prompt shown twice', async () => {
    await failsWith(broken('promptsTwice', 'deviceCode'), /onPrompt must be called once, was called 2 times/);
  });

  it('signInRequired: authorized before anyone signed in', async () => {
    await failsWith(
      broken('authorizedBeforeSignIn', 'signInRequired'),
      /must say "signInRequired", got "authorized"/,
    );
  });

  it('an environment that cannot play consent names what it lacks', async () => {
    await failsWith(
      broken(undefined, 'interactiveComplete', ({ consent: _gone, ...rest }) => rest),
      /the environment has no `consent`/,
    );
  });
});

describe('the settings check fails on a careless schema', () => {
  const withSchema = (change: Partial<AuthProvider>) =>
    runAuthProviderCheck('settings', () => ({ ...passwordProvider(), ...change }), {
      packageJson: passwordPackageJson,
    });

  it('a field that names a secret but is stored as text', async () => {
    await failsWith(
      withSchema({
        settingsSchema: {
          fields: [
            ...passwordProvider().settingsSchema.fields,
            { key: 'apiToken', label: 'API token', type: 'string' },
          ],
        },
      }),
      /field "apiToken" names a secret but has type "string"/,
    );
  });

  it('validateSettings that throws on half-filled settings', async () => {
    await failsWith(
      withSchema({
        validateSettings: (settings) => {
          if (!settings.username) throw new TypeError('username.trim is not a function');
          return [];
        },
      }),
      /validateSettings must return issues, never throw .* for empty settings it threw TypeError/,
    );
  });

  it('a required field the schema does not enforce', async () => {
    const lax = passwordProvider().settingsSchema.fields.map((f) => ({ ...f, required: false }));
    await failsWith(
      runAuthProviderCheck('settings', () => ({ ...passwordProvider(), settingsSchema: { fields: lax } }), {
        packageJson: passwordPackageJson,
        invalidSettings: [{ settings: { username: 'x' }, paths: ['password'] }],
      }),
      /should have an issue at "password"; got \[\]/,
    );
  });
});

describe('capabilities are said once: manifest, capabilities and sessions must agree', () => {
  it('session: capabilities promise device-code sign-in, sessions have none', async () => {
    await failsWith(
      broken('noDeviceCode', 'session'),
      /session.deviceCode is absent but capabilities.deviceCode \(from the manifest\) is true/,
    );
  });

  it('session: capabilities promise interactive sign-in, sessions have none', async () => {
    await failsWith(
      brokenPassword('claimsInteractive', 'session'),
      /session.interactive is absent but capabilities.interactive \(from the manifest\) is true/,
    );
  });

  it('manifest: the package.json declares other capabilities than the code has', async () => {
    await failsWith(
      brokenPassword('claimsInteractive', 'manifest'),
      /entry "suite-password" differs from what the code is in: capabilities\./,
    );
  });
});
