import { type AuthProvider, createProviderSettings, type TokenTuningOptions } from '@mailplug/core';
import { createServiceAccountSession } from './google-service-account-session.js';
import { googleServiceAccountContribution } from './manifest.js';

export interface GoogleServiceAccountOptions extends TokenTuningOptions {
  /** Register under another id. Default `google-service-account`. */
  readonly id?: string;
  /** The label hosts show. Default: the manifest's. */
  readonly label?: string;
}

/**
 * Google Workspace service account with domain-wide delegation: the JWT bearer grant with
 * `sub` = the mailbox, through google-auth-library's `JWT` client. No user signs in.
 *
 * @example
 * const session = googleServiceAccount.createSession({
 *   accountId: 'notifications',
 *   settings: { serviceAccountKey: { secretRef: 'google-sa-key' }, mailbox: 'noreply@example.com' },
 *   secrets, tokenStore,
 * });
 * const credential = await session.getCredential({ protocol: 'smtp' });
 */
export function createGoogleServiceAccount(options: GoogleServiceAccountOptions = {}): AuthProvider {
  const id = options.id ?? googleServiceAccountContribution.id;
  const settings = createProviderSettings({ schema: googleServiceAccountContribution.settingsSchema });
  return {
    specificationVersion: 'v1',
    id,
    label: options.label ?? googleServiceAccountContribution.label,
    settingsSchema: settings.settingsSchema,
    capabilities: googleServiceAccountContribution.capabilities,
    createSession: (init) => createServiceAccountSession(id, settings.read(init), init, options),
  };
}

/** The default instance, registered by `activate`. */
export const googleServiceAccount: AuthProvider = createGoogleServiceAccount();
