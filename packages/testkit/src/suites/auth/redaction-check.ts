/**
 * Secrets never show: the suite plants its own values for every secret setting, learns the tokens
 * the provider stored, makes the provider fail (rejected secrets, a revoked grant), and looks for
 * any of them — raw or encoded — in every error surface and every log line.
 */
import { randomBytes } from 'node:crypto';
import { accountKeyPrefix, isMailplugError, isSecretRef, type StoredValue } from '@mailplug/core';
import { ConformanceError, ensure } from '../conformance.js';
import { errorSurfaces, findLeak, type KnownSecret } from '../secret-forms.js';
import type { AuthHarness, BoundSession } from './auth-harness.js';
import type { AuthProviderCheck } from './contract-checks.js';

/** Token-like values a provider keeps in the store (TokenSet fields, msal's cache `secret`s). */
const TOKEN_KEY = /token|secret/i;
const MIN_SECRET_LENGTH = 16;

function storedSecrets(bound: BoundSession): KnownSecret[] {
  const found = new Map<string, string>();
  const walk = (value: StoredValue | unknown, key: string, depth: number): void => {
    if (depth > 12 || value === null || value === undefined) return;
    if (typeof value === 'string') {
      if (TOKEN_KEY.test(key) && value.length >= MIN_SECRET_LENGTH) found.set(value, key);
      // Libraries (msal) keep their cache as serialized JSON.
      if (value.startsWith('{') || value.startsWith('[')) {
        try {
          walk(JSON.parse(value), key, depth + 1);
        } catch {
          // not JSON
        }
      }
      return;
    }
    if (Array.isArray(value)) for (const item of value) walk(item, key, depth + 1);
    else if (typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k, depth + 1);
  };
  for (const [key, value] of bound.store.entries(accountKeyPrefix(bound.accountId))) walk(value, key, 0);
  return [...found].map(([value, key]) => ({ what: `the stored token "${key}"`, value }));
}

/** Replaces the value of every secret setting with a planted one; returns what was planted. */
function plantSecrets(
  h: AuthHarness,
  bound: BoundSession,
  settings: Readonly<Record<string, unknown>>,
): KnownSecret[] {
  const planted: KnownSecret[] = [];
  for (const field of h.provider.settingsSchema.fields) {
    const ref = settings[field.key];
    if (field.type !== 'secret' || !isSecretRef(ref)) continue;
    const value = randomBytes(24).toString('base64url');
    bound.secrets.put(ref.secretRef, value);
    planted.push({ what: `the planted value of the secret setting "${field.key}"`, value });
  }
  return planted;
}

interface Observed {
  readonly texts: [string, string][];
  failures: number;
}

async function observe(observed: Observed, bound: BoundSession, what: string, work: () => Promise<unknown>) {
  try {
    const result = await work();
    const status = result as { error?: unknown } | undefined;
    if (status && typeof status === 'object' && isMailplugError(status.error)) {
      observed.failures++;
      for (const [surface, text] of errorSurfaces(status.error))
        observed.texts.push([`the ${surface} of ${what}'s error`, text]);
    }
  } catch (error) {
    observed.failures++;
    for (const [surface, text] of errorSurfaces(error))
      observed.texts.push([`the ${surface} of the error ${what} threw`, text]);
  }
  observed.texts.push([`the log lines of ${bound.session.accountId}`, bound.logger.text()]);
}

export const redactionCheck: AuthProviderCheck = {
  id: 'redaction',
  name: 'secrets and tokens never appear in errors or logs, raw or encoded (base64, base64url, hex, URL, prefix)',
  canOptOut: true,
  async run(h) {
    const { protocol } = h;
    const oauth = h.provider.capabilities.credentialKind === 'oauth2';
    const secrets: KnownSecret[] = [];
    const observed: Observed = { texts: [], failures: 0 };

    // 1. Authorized, then every secret setting rotated to a planted value the identity provider rejects.
    const signedIn = h.open();
    await h.authorize(signedIn);
    await observe(observed, signedIn, 'getCredential', () => signedIn.session.getCredential({ protocol }));
    secrets.push(...storedSecrets(signedIn), ...plantSecrets(h, signedIn, h.environment.settings));
    if (oauth) h.clock.advance(2 * 3_600_000);
    await observe(observed, signedIn, 'getCredential with planted secrets', () =>
      signedIn.session.getCredential({ protocol }),
    );
    await observe(observed, signedIn, 'checkAuthorization with planted secrets', () =>
      signedIn.session.checkAuthorization(),
    );

    // 2. Planted secrets from the start, before anything was stored.
    const planted = h.open();
    secrets.push(...plantSecrets(h, planted, h.environment.settings));
    await observe(observed, planted, 'getCredential on a new session with planted secrets', () =>
      planted.session.getCredential({ protocol }),
    );

    // 3. A revoked grant: the refresh fails with the real tokens in play.
    if (oauth && h.environment.failTokenRequests) {
      const { bound } = await h.dueForRefresh();
      secrets.push(...storedSecrets(bound));
      const fault = h.fail('revoked');
      await observe(observed, bound, 'getCredential after the grant was revoked', () =>
        bound.session.getCredential({ protocol }),
      );
      await observe(observed, bound, 'checkAuthorization after the grant was revoked', () =>
        bound.session.checkAuthorization(),
      );
      fault.remove();
    }

    if (oauth) {
      ensure(
        observed.failures > 0,
        'the suite could not make the provider fail (planted client secrets and keys were accepted), so it cannot check what its errors show.',
      );
    }
    const leak = findLeak(secrets, observed.texts);
    if (leak) throw new ConformanceError(`a secret leaked: ${leak}`);
  },
};
