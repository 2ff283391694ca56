import { type ErrorAction, MailplugError } from '../spec/v1/mailplug-error.js';

/**
 * Codes core itself raises. Adapters add their own (documented in their READMEs); codes never
 * change meaning once published.
 */
export const CoreErrorCode = {
  ConfigInvalid: 'CONFIG_INVALID',
  SecretMissing: 'SECRET_MISSING',
  SecretInline: 'SECRET_INLINE',
  TokenStoreKeyMissing: 'TOKEN_STORE_KEY_MISSING',
  TokenStoreKeyInvalid: 'TOKEN_STORE_KEY_INVALID',
  TokenStoreUnreadable: 'TOKEN_STORE_UNREADABLE',
  TokenStoreLockTimeout: 'TOKEN_STORE_LOCK_TIMEOUT',
  SignInRequired: 'SIGN_IN_REQUIRED',
  ReauthRequired: 'REAUTH_REQUIRED',
  SignInStateInvalid: 'SIGN_IN_STATE_INVALID',
  SignInDenied: 'SIGN_IN_DENIED',
  SignInBindingMismatch: 'SIGN_IN_BINDING_MISMATCH',
  MailboxMismatch: 'MAILBOX_MISMATCH',
  Transient: 'TRANSIENT',
  TokenRefreshFailed: 'TOKEN_REFRESH_FAILED',
  Timeout: 'TIMEOUT',
  SendCancelled: 'SEND_CANCELLED',
  AccessBlockedByPolicy: 'ACCESS_BLOCKED_BY_POLICY',
  ClockSkew: 'CLOCK_SKEW',
  InsecureAuthRefused: 'INSECURE_AUTH_REFUSED',
  PermissionDenied: 'SEND_PERMISSION_DENIED',
  FooterTooLong: 'FOOTER_TOO_LONG',
  RegistryDuplicateId: 'REGISTRY_DUPLICATE_ID',
  RegistryUnknownId: 'REGISTRY_UNKNOWN_ID',
  RegistryActivationFailed: 'REGISTRY_ACTIVATION_FAILED',
  RegistryManifestInvalid: 'REGISTRY_MANIFEST_INVALID',
  RegistryDisposed: 'REGISTRY_DISPOSED',
  MailerDisposed: 'MAILER_DISPOSED',
  ProtocolMismatch: 'PROTOCOL_MISMATCH',
  NotSupported: 'NOT_SUPPORTED',
} as const;

export type CoreErrorCode = (typeof CoreErrorCode)[keyof typeof CoreErrorCode];

/** Shorthand used across packages. */
export function mailplugError(
  code: string,
  action: ErrorAction,
  message: string,
  hint: string,
  extra: { cause?: unknown; details?: Record<string, unknown>; retryAfterMs?: number } = {},
): MailplugError {
  return new MailplugError({ code, action, message, hint, ...extra });
}
