/**
 * @mailplug/emulator — local Google and Microsoft identity platforms plus SMTP/IMAP/POP3 servers
 * for offline development and tests. Start everything with {@link startEmulator}.
 */

export {
  type Emulator,
  type EmulatorOptions,
  type EmulatorUrls,
  type RecordedRequest,
  startEmulator,
} from './emulator.js';
export type { EmulatorAccountSettings, EmulatorServerSettings } from './identity/account-settings.js';
export { type AppCertificate, createAppCertificate } from './identity/app-certificate.js';
export {
  createEmulatorAgent,
  createMsalNetworkClient,
  type MsalNetworkModule,
  redirectGoogleRequests,
} from './identity/clients.js';
export {
  AADSTS,
  type AccessTokenInfo,
  CONSUMERS_TENANT_ID,
  checkMailAccess,
  createIdentityProvider,
  DEFAULT_IDS,
  DEFAULT_TENANT_ID,
  GOOGLE_MAIL_SCOPE,
  GOOGLE_PREFIX,
  type GoogleClientInput,
  type GoogleErrorName,
  type GoogleInjection,
  type GoogleServiceAccountInput,
  type IdentityConfigInput,
  type IdentityEvent,
  type IdentityEventKind,
  type IdentityEvents,
  type IdentityProvider,
  type InjectionHandle,
  type Lifetimes,
  loadIdentityConfigFile,
  type MailProtocolName,
  type MicrosoftApp,
  type MicrosoftAppInput,
  type MicrosoftInjection,
  servicePrincipalId,
  type TestUser,
  type TestUserInput,
  type ValidateAccessToken,
} from './identity/index.js';
export { type MailStore, type StoredMessage, startMailServers } from './mail/index.js';
export { createLocalCa, type LocalCa } from './tls/index.js';
