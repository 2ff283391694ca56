import {
  type ActivationContext,
  type AuthProvider,
  createProviderSettings,
  readAdapterManifest,
  type SecretRef,
} from '@mailplug/core';
import packageJson from '../package.json';
import { createM365AppOnlySession, type M365AppOnlySessionOptions } from './m365-app-only-session.js';
import { parseM365AppOnlySettings, validateM365AppOnlySettings } from './settings.js';

// package.json is the one source of id, label, capabilities and settings schema.
const contribution = readAdapterManifest(packageJson).authProvider('m365-app-only');

export interface M365AppOnlyOptions extends M365AppOnlySessionOptions {
  /** Register under another id. Default `m365-app-only`. */
  readonly id?: string;
  /** The label hosts show. Default: the manifest's. */
  readonly label?: string;
  /**
   * The host's one app registration, for every account of this provider: accounts may then leave
   * these out, and an account that sets one overrides it (an account's certificate replaces the
   * host's client secret).
   */
  readonly tenant?: string;
  readonly clientId?: string;
  /** Reference to the client secret Value in the host's secret store. */
  readonly clientSecret?: SecretRef;
}

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
  const id = options.id ?? contribution.id;
  const settings = createProviderSettings({
    schema: contribution.settingsSchema,
    hostSettings: { tenant: options.tenant, clientId: options.clientId, clientSecret: options.clientSecret },
    validate: validateM365AppOnlySettings,
  });
  return {
    specificationVersion: 'v1',
    id,
    label: options.label ?? contribution.label,
    settingsSchema: settings.settingsSchema,
    capabilities: contribution.capabilities,
    validateSettings: settings.validateSettings,
    createSession: (init) =>
      createM365AppOnlySession(id, parseM365AppOnlySettings(settings.read(init)), init, options),
  };
}

/** The default instance, registered by `activate`. */
export const m365AppOnly: AuthProvider = createM365AppOnly();

/** Called by the Mailplug registry on first use of the `m365-app-only` provider id. */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerAuthProvider(m365AppOnly));
}
