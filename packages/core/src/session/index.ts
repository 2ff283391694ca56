export { authorizationStateFor } from './authorization-state.js';
export {
  type AuthorizationCodeSignIns,
  type CodeSignInCallback,
  type CodeSignInStart,
  createAuthorizationCodeSignIns,
  type SignInCallbackError,
} from './code-sign-in.js';
export {
  type DefineAuthProviderOptions,
  defineAuthProvider,
  type ProviderInstanceOptions,
} from './define-provider.js';
export { assertExpectedMailbox } from './expected-mailbox.js';
export { accountKeyPrefix, forgetAccount } from './forget-account.js';
export { transientNetworkCodeOf } from './network-failure.js';
export { assertProtocolServed, type ProtocolGuardOptions, protocolNotServed } from './protocol-guard.js';
export {
  createProviderSettings,
  type ProviderSettings,
  type ProviderSettingsOptions,
  type SettingsValues,
} from './provider-settings.js';
export { expiryOnSessionClock } from './token-expiry.js';
export { identityFromTokenSet, identityTokenExtra } from './token-identity.js';
export {
  type AuthorizationCheck,
  createTokenSession,
  type TokenSession,
  type TokenSessionOptions,
  type TokenTuningOptions,
} from './token-session.js';
