import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import { registerSecret } from '../spec/v1/redact.js';
import type { SecretRef } from '../spec/v1/settings.js';
import type { SecretStore } from '../spec/v1/stores.js';

/** In-memory secrets, for tests and for hosts that load secrets themselves at start-up. */
export function createMemorySecretStore(initial: Record<string, string> = {}): Required<SecretStore> {
  const values = new Map(Object.entries(initial));
  for (const v of values.values()) registerSecret(v);
  return {
    async get(name) {
      return values.get(name);
    },
    async set(name, value) {
      registerSecret(value);
      values.set(name, value);
    },
    async delete(name) {
      values.delete(name);
    },
  };
}

/**
 * Secrets from environment variables: a secret named `gmail-client-secret` is read from
 * `${prefix}GMAIL_CLIENT_SECRET` (default prefix `MAILPLUG_SECRET_`). Read-only.
 */
export function createEnvSecretStore(
  options: { prefix?: string; env?: NodeJS.ProcessEnv } = {},
): SecretStore & { variableFor(name: string): string } {
  const prefix = options.prefix ?? 'MAILPLUG_SECRET_';
  const env = options.env ?? process.env;
  const variableFor = (name: string) => `${prefix}${name.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}`;
  return {
    variableFor,
    async get(name) {
      const value = env[variableFor(name)];
      registerSecret(value);
      return value === '' ? undefined : value;
    },
  };
}

/**
 * Reads a referenced secret, failing with an admin-facing error that names the setting and the
 * secret (never its value) when it is missing.
 */
export async function resolveSecret(
  store: SecretStore,
  ref: SecretRef,
  settingLabel: string,
): Promise<string> {
  const value = await store.get(ref.secretRef);
  if (value === undefined || value === '') {
    throw mailplugError(
      CoreErrorCode.SecretMissing,
      'admin',
      `The secret "${ref.secretRef}" for ${settingLabel} is not in the secret store.`,
      `Add a secret named "${ref.secretRef}" to the host's secret store, or point ${settingLabel} at an existing one.`,
      { details: { secretRef: ref.secretRef } },
    );
  }
  registerSecret(value);
  return value;
}
