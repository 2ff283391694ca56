/** The `m365-delegated` provider type: static description plus the session factory. */
import type { ActivationContext, AuthProviderDefinition } from '@mailplug/core';
import { createM365DelegatedSession, type M365DelegatedSessionOptions } from './provider.js';
import {
  M365_DELEGATED_PROVIDER_ID,
  m365DelegatedSettingsSchema,
  validateM365DelegatedSettings,
} from './settings.js';

/**
 * Builds the provider definition; options apply to every session it creates.
 *
 * @example
 * registry.register(createM365DelegatedProvider());
 */
export function createM365DelegatedProvider(
  options: M365DelegatedSessionOptions = {},
): AuthProviderDefinition {
  return Object.freeze({
    specificationVersion: 'v1',
    id: M365_DELEGATED_PROVIDER_ID,
    label: 'Microsoft 365 (user sign-in)',
    settingsSchema: m365DelegatedSettingsSchema,
    capabilities: Object.freeze({
      interactive: true,
      deviceCode: true,
      appOnly: false,
      protocols: Object.freeze(['smtp', 'imap', 'pop3']),
      credentialKind: 'oauth2',
    }),
    validateSettings: validateM365DelegatedSettings,
    create: (init) => createM365DelegatedSession(init, options),
  } satisfies AuthProviderDefinition);
}

/** The default instance. */
export const m365Delegated: AuthProviderDefinition = createM365DelegatedProvider();

/** Registry entry point (see the `mailplug` manifest in package.json). */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerAuthProvider(m365Delegated));
}
