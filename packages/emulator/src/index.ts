/**
 * @mailplug/emulator — local Google and Microsoft identity platforms, a generic OAuth 2.0 / OIDC
 * server, the Graph and Gmail send APIs, and SMTP/IMAP/POP3 servers for offline development and
 * tests. Start everything with {@link startEmulator}.
 */

export { GMAIL_ERRORS, type GmailErrorReason, GRAPH_ERRORS, type GraphErrorCode } from './api/api-errors.js';
export {
  GMAIL_SEND_SCOPE,
  GMAIL_SEND_SCOPES,
  type GmailApiControls,
  type GraphApiControls,
} from './api/index.js';
export {
  type Emulator,
  type EmulatorInjections,
  type EmulatorOptions,
  type RecordedRequest,
  startEmulator,
} from './emulator.js';
export { type EmulatorUrls, type GenericOAuthUrls, googleSettingsOverHttp } from './emulator-urls.js';
export type {
  FaultFlavour,
  FaultStatus,
  GoogleInjection,
  HttpFault,
  InjectionEndpoint,
  InjectionHandle,
  InjectionMatch,
  MicrosoftInjection,
  OAuthInjection,
} from './faults/injections.js';
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
  type GoogleServiceAccountInput,
  type IdentityConfigInput,
  type IdentityEvent,
  type IdentityEventKind,
  type IdentityEvents,
  type IdentityProvider,
  type Lifetimes,
  loadIdentityConfigFile,
  type MailProtocolName,
  type MicrosoftApp,
  type MicrosoftAppInput,
  servicePrincipalId,
  type TestUser,
  type TestUserInput,
  type ValidateAccessToken,
} from './identity/index.js';
export {
  type MailServers,
  type MailStore,
  SMTP_AUTH_DISABLED_REPLIES,
  type SmtpAuthSwitch,
  type SmtpAuthTarget,
  type StoredMessage,
  startMailServers,
} from './mail/index.js';
export {
  DEFAULT_OAUTH_IDS,
  type GenericOAuthOptions,
  type OAuthClientInput,
  type OAuthQuirks,
} from './oauth/config.js';
export type { GenericOAuthServer, GenericTokenInfo } from './oauth/server.js';
export { createLocalCa, type LocalCa } from './tls/index.js';
