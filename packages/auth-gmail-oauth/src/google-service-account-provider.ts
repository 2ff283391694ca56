import {
  type AuthProvider,
  defineAuthProvider,
  type ProviderInstanceOptions,
  type TokenTransportOptions,
  type TokenTuningOptions,
} from '@mailplug/core';
import { createServiceAccountSession } from './google-service-account-session.js';
import { googleServiceAccountContribution } from './manifest.js';

/**
 * `id`, `label`, `earlyRefreshMs`, `retry`, `requestTimeoutMs`, `proxy`, `noProxy` — the same
 * options, with the same meaning, as every provider's.
 */
export interface GoogleServiceAccountOptions
  extends ProviderInstanceOptions,
    TokenTuningOptions,
    TokenTransportOptions {}

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
  return defineAuthProvider({
    contribution: googleServiceAccountContribution,
    ...(options.id !== undefined ? { id: options.id } : {}),
    ...(options.label !== undefined ? { label: options.label } : {}),
    createSession: (values, init, providerId) =>
      createServiceAccountSession(providerId, values, init, options),
  });
}

/** The default instance, registered by `activate`. */
export const googleServiceAccount: AuthProvider = createGoogleServiceAccount();
