/**
 * @mailplug/microsoft-identity — what the Microsoft 365 providers share: frozen cloud / scope /
 * app-role data, the Entra ID error table, the msal cache bridge to the core TokenStore, the shared
 * settings, and an msal configuration builder that can run offline against a local authority.
 */
export {
  createTokenStoreCachePlugin,
  refreshTokenFingerprint,
  type TokenStoreCachePlugin,
} from './cache-plugin.js';
export {
  appOnlyDefaultScope,
  appOnlyGraphScope,
  delegatedGraphScope,
  delegatedScope,
  delegatedScopesToRequest,
  getMicrosoftCloud,
  isMicrosoftMailProtocol,
  type MailHost,
  MICROSOFT_CLOUDS,
  MICROSOFT_MAIL_PROTOCOLS,
  MICROSOFT_PROTOCOL_PERMISSIONS,
  type MicrosoftCloud,
  type MicrosoftCloudId,
  type MicrosoftMailProtocol,
  type MicrosoftProtocolPermission,
  scopesCoverProtocol,
} from './clouds.js';
export {
  classifyEntraError,
  ENTRA_ERROR_TABLE,
  type EntraErrorContext,
  type EntraErrorRule,
  MicrosoftErrorCode,
} from './entra-errors.js';
export {
  hostAppSettings,
  type MicrosoftAppSettings,
  type MicrosoftHostAppOptions,
  type MsalConfigurationExtras,
  msalConfigurationFor,
  readMicrosoftAppSettings,
  validateMicrosoftAppSettings,
} from './microsoft-app-settings.js';
export {
  accessTokenExpiresAt,
  type LazyClientApplication,
  lazyClientApplication,
} from './msal-application.js';
export { buildMsalConfiguration, type MsalConfigurationOptions } from './msal-config.js';
export {
  createMsalNetworkClient,
  DEFAULT_MSAL_REQUEST_TIMEOUT_MS,
  type MsalNetworkClientOptions,
} from './network-client.js';
export { msalTransportExtras, type ProxyOptions, type TokenTransportOptions } from './proxy.js';
export {
  type EntraIdentityClaims,
  isPersonalAccountTenant,
  mailboxFromClaims,
  sameMailbox,
  validateTenant,
} from './tenant.js';
