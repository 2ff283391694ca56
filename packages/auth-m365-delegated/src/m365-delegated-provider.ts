import {
  type ActivationContext,
  type AuthProvider,
  createProviderSettings,
  readAdapterManifest,
  type SecretRef,
} from '@mailplug/core';
import packageJson from '../package.json';
import { createM365DelegatedSession, type M365DelegatedSessionOptions } from './m365-delegated-session.js';
import { parseM365DelegatedSettings, validateM365DelegatedSettings } from './settings.js';

// package.json is the one source of id, label, capabilities and settings schema.
const contribution = readAdapterManifest(packageJson).authProvider('m365-delegated');

export interface M365DelegatedOptions extends M365DelegatedSessionOptions {
  /** Register under another id. Default `m365-delegated`. */
  readonly id?: string;
  /** The label hosts show. Default: the manifest's. */
  readonly label?: string;
  /**
   * The host's one app registration, for every account of this provider: accounts may then leave
   * these out, and an account that sets one overrides it.
   */
  readonly tenant?: string;
  readonly clientId?: string;
  /** Reference to the client secret Value (Web app registrations) in the host's secret store. */
  readonly clientSecret?: SecretRef;
}

/**
 * Microsoft 365 mail with a user's own sign-in (authorization code + PKCE, device code, SSO
 * hand-off) on @azure/msal-node. Sessions are {@link M365DelegatedSession}s.
 *
 * @example
 * const m365 = createM365Delegated({ tenant: 'contoso.onmicrosoft.com', clientId: '<application id>' });
 * const session = m365.createSession({ accountId: 'ann', settings: { redirectUri }, secrets, tokenStore });
 * const { url } = await session.interactive?.begin() ?? {};
 */
export function createM365Delegated(options: M365DelegatedOptions = {}): AuthProvider {
  const id = options.id ?? contribution.id;
  const settings = createProviderSettings({
    schema: contribution.settingsSchema,
    hostSettings: { tenant: options.tenant, clientId: options.clientId, clientSecret: options.clientSecret },
    validate: validateM365DelegatedSettings,
  });
  return {
    specificationVersion: 'v1',
    id,
    label: options.label ?? contribution.label,
    settingsSchema: settings.settingsSchema,
    capabilities: contribution.capabilities,
    validateSettings: settings.validateSettings,
    createSession: (init) =>
      createM365DelegatedSession(id, parseM365DelegatedSettings(settings.read(init)), init, options),
  };
}

/** The default instance, registered by `activate`. */
export const m365Delegated: AuthProvider = createM365Delegated();

/** Called by the Mailplug registry on first use of the `m365-delegated` provider id. */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerAuthProvider(m365Delegated));
}
