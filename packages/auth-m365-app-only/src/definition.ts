/** The `m365-app-only` provider type. */
import type { ActivationContext, AuthProviderDefinition } from '@mailplug/core';
import { createM365AppOnlySession, type M365AppOnlySessionOptions } from './provider.js';
import {
  M365_APP_ONLY_PROVIDER_ID,
  m365AppOnlySettingsSchema,
  validateM365AppOnlySettings,
} from './settings.js';

/**
 * @example
 * registry.register(createM365AppOnlyProvider());
 */
export function createM365AppOnlyProvider(options: M365AppOnlySessionOptions = {}): AuthProviderDefinition {
  return Object.freeze({
    specificationVersion: 'v1',
    id: M365_APP_ONLY_PROVIDER_ID,
    label: 'Microsoft 365 (app-only, service mailbox)',
    settingsSchema: m365AppOnlySettingsSchema,
    capabilities: Object.freeze({
      interactive: false,
      deviceCode: false,
      appOnly: true,
      protocols: Object.freeze(['smtp', 'imap', 'pop3']),
      credentialKind: 'oauth2',
    }),
    validateSettings: validateM365AppOnlySettings,
    create: (init) => createM365AppOnlySession(init, options),
  } satisfies AuthProviderDefinition);
}

/** The default instance. */
export const m365AppOnly: AuthProviderDefinition = createM365AppOnlyProvider();

export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerAuthProvider(m365AppOnly));
}
