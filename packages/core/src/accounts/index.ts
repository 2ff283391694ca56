export {
  type AccountScope,
  type AccountValidationIssue,
  DEFAULT_TIMEOUT_SECONDS,
  isLoopbackHost,
  type MailAccount,
} from './account.js';
export { accountNamespace, accountTokenStore, createAccountKey } from './account-token-store.js';
export { type AccountExport, type ExportAccountOptions, exportAccount } from './export-account.js';
export { type ServerSettingsOptions, serverSettingsFor } from './server-settings.js';
export { isSecretRef, validateSettings, withDefaults } from './settings-validation.js';
export {
  type AccountRegistry,
  accountInvalidError,
  assertValidAccount,
  parseMailAccount,
  type ValidateAccountOptions,
  validateAccount,
} from './validate-account.js';
