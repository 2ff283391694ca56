/**
 * Identity half of the emulator. The mail servers consume `ValidateAccessToken`,
 * `checkMailAccess` and `IdentityEvents` from here; everything else is composed in `emulator.ts`.
 */
export {
  CONSUMERS_TENANT_ID,
  DEFAULT_IDS,
  DEFAULT_TENANT_ID,
  type GoogleClientInput,
  type GoogleServiceAccountInput,
  type IdentityConfigInput,
  type Lifetimes,
  loadIdentityConfigFile,
  type MicrosoftApp,
  type MicrosoftAppInput,
  type TestUser,
  type TestUserInput,
} from './config.js';
export { AADSTS, type GoogleErrorName } from './errors.js';
export type { IdentityEvent, IdentityEventKind, IdentityEvents } from './events.js';
export { GOOGLE_MAIL_SCOPE, GOOGLE_PREFIX } from './google.js';
export { servicePrincipalId } from './microsoft-tokens.js';
export { createIdentityProvider, type IdentityProvider } from './provider.js';
export {
  type AccessTokenInfo,
  checkMailAccess,
  type MailProtocolName,
  type ValidateAccessToken,
} from './validate.js';
