/**
 * @mailplug/auth-m365-delegated — Microsoft 365 mail with a user's own sign-in (authorization code
 * + PKCE, device code, SSO hand-off) on @azure/msal-node.
 */
export { activate, createM365DelegatedProvider, m365Delegated } from './definition.js';
export {
  createM365DelegatedSession,
  type M365DelegatedSession,
  type M365DelegatedSessionOptions,
} from './provider.js';
export {
  M365_DELEGATED_PROVIDER_ID,
  type M365DelegatedSettings,
  m365DelegatedSettingsSchema,
  parseM365DelegatedSettings,
  validateM365DelegatedSettings,
} from './settings.js';
export { type ExistingAccountHandoff, filterSerializedCache, type HandoffResult } from './sso.js';
