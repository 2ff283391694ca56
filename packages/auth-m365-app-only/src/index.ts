/**
 * @mailplug/auth-m365-app-only — Microsoft 365 service mailboxes with client credentials (secret or
 * certificate) on @azure/msal-node, plus diagnostics that name the missing Exchange step.
 */
export { activate, createM365AppOnlyProvider, m365AppOnly } from './definition.js';
export {
  exchangePermissionScript,
  explainSmtpFailure,
  M365AppOnlyDiagnosisCode,
  smtpAuthEnableScript,
} from './diagnose.js';
export {
  appRoleFor,
  createM365AppOnlySession,
  type M365AppOnlySession,
  type M365AppOnlySessionOptions,
} from './provider.js';
export {
  M365_APP_ONLY_PROVIDER_ID,
  type M365AppOnlySettings,
  m365AppOnlySettingsSchema,
  parseM365AppOnlySettings,
  parseTokenUrl,
  validateM365AppOnlySettings,
} from './settings.js';
