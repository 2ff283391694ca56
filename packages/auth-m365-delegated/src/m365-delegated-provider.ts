import {
  type ActivationContext,
  type AuthProvider,
  defineAuthProvider,
  type ProviderInstanceOptions,
  readAdapterManifest,
} from '@mailplug/core';
import { hostAppSettings, type MicrosoftHostAppOptions } from '@mailplug/microsoft-identity';
import packageJson from '../package.json';
import { createM365DelegatedSession, type M365DelegatedSessionOptions } from './m365-delegated-session.js';
import { parseM365DelegatedSettings, validateM365DelegatedSettings } from './settings.js';

// package.json is the one source of id, label, capabilities and settings schema.
const contribution = readAdapterManifest(packageJson).authProvider('m365-delegated');

/**
 * `id`, `label`, `earlyRefreshMs`, `retry`, `signInTtlMs`, `onRequest`, and the host's one app
 * registration (`tenant`, `clientId`, `clientSecret`) for every account — an account's own value
 * overrides it.
 */
export interface M365DelegatedOptions
  extends ProviderInstanceOptions,
    M365DelegatedSessionOptions,
    MicrosoftHostAppOptions {}

/**
 * Microsoft 365 mail with a user's own sign-in (authorization code + PKCE, device code, SSO
 * hand-off) on @azure/msal-node. Sessions are {@link M365DelegatedSession}s.
 *
 * @example
 * const m365 = createM365Delegated({ tenant: 'contoso.onmicrosoft.com', clientId: '<application id>' });
 * const session = m365.createSession({ accountId: 'ann', settings: { redirectUri }, secrets, tokenStore });
 * const start = await session.interactive?.begin();
 */
export function createM365Delegated(options: M365DelegatedOptions = {}): AuthProvider {
  return defineAuthProvider({
    contribution,
    ...(options.id !== undefined ? { id: options.id } : {}),
    ...(options.label !== undefined ? { label: options.label } : {}),
    hostSettings: hostAppSettings(options),
    validate: validateM365DelegatedSettings,
    createSession: (values, init, providerId) =>
      createM365DelegatedSession(providerId, parseM365DelegatedSettings(values), init, options),
  });
}

/** The default instance, registered by `activate`. */
export const m365Delegated: AuthProvider = createM365Delegated();

/** Called by the Mailplug registry on first use of the `m365-delegated` provider id. */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerAuthProvider(m365Delegated));
}
