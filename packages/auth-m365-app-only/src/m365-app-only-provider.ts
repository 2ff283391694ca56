import {
  type ActivationContext,
  type AuthProvider,
  defineAuthProvider,
  type ProviderInstanceOptions,
  readAdapterManifest,
} from '@mailplug/core';
import { hostAppSettings, type MicrosoftHostAppOptions } from '@mailplug/microsoft-identity';
import packageJson from '../package.json';
import { createM365AppOnlySession, type M365AppOnlySessionOptions } from './m365-app-only-session.js';
import { parseM365AppOnlySettings, validateM365AppOnlySettings } from './settings.js';

// package.json is the one source of id, label, capabilities and settings schema.
const contribution = readAdapterManifest(packageJson).authProvider('m365-app-only');

/**
 * `id`, `label`, `earlyRefreshMs`, `retry`, `onRequest`, and the host's one app registration
 * (`tenant`, `clientId`, `clientSecret`) for every account — an account's own value overrides it,
 * and an account's certificate replaces the host's client secret.
 */
export interface M365AppOnlyOptions
  extends ProviderInstanceOptions,
    M365AppOnlySessionOptions,
    MicrosoftHostAppOptions {}

/**
 * Microsoft 365 service mailboxes with client credentials on @azure/msal-node. Sessions are
 * {@link M365AppOnlySession}s, whose `diagnose` names the missing Exchange step.
 *
 * @example
 * const m365 = createM365AppOnly({ tenant: '<tenant id>', clientId: '<application id>', clientSecret: { secretRef: 'm365-daemon' } });
 * const session = m365.createSession({ accountId: 'notifications', settings: { mailbox: 'noreply@contoso.com' }, secrets, tokenStore });
 * const credential = await session.getCredential({ protocol: 'smtp' });
 */
export function createM365AppOnly(options: M365AppOnlyOptions = {}): AuthProvider {
  return defineAuthProvider({
    contribution,
    ...(options.id !== undefined ? { id: options.id } : {}),
    ...(options.label !== undefined ? { label: options.label } : {}),
    hostSettings: hostAppSettings(options),
    validate: validateM365AppOnlySettings,
    createSession: (values, init, providerId) =>
      createM365AppOnlySession(providerId, parseM365AppOnlySettings(values), init, options),
  });
}

/** The default instance, registered by `activate`. */
export const m365AppOnly: AuthProvider = createM365AppOnly();

/** Called by the Mailplug registry on first use of the `m365-app-only` provider id. */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerAuthProvider(m365AppOnly));
}
