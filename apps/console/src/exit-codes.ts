import { isMailplugError } from '@mailplug/core';

/** Process exit codes of `mailplug-console` (documented in the README). */
export const ExitCode = {
  Ok: 0,
  /** The operation ran and failed: connection, authentication, probe step, send, demo step. */
  Failed: 1,
  /** Unknown command or option, missing argument. */
  Usage: 2,
  /** The acting user may not send from the account (SEND_PERMISSION_DENIED). Nothing was sent. */
  PermissionDenied: 3,
  /** Configuration is invalid: validation issues, unknown account/provider, footer too long, missing secret. */
  ConfigInvalid: 4,
  /** Nobody has signed in, or a user must sign in again. */
  SignInRequired: 5,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A mistake in how the command was called; printed with the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const CONFIG_CODES = new Set([
  'CONFIG_INVALID',
  'SECRET_MISSING',
  'SECRET_INLINE',
  'FOOTER_TOO_LONG',
  'INSECURE_AUTH_REFUSED',
  'PROTOCOL_MISMATCH',
  'REGISTRY_UNKNOWN_ID',
  'ACCOUNT_NOT_FOUND',
  'ACCOUNT_EXISTS',
  'USER_NOT_FOUND',
  'TOKEN_STORE_KEY_MISSING',
  'TOKEN_STORE_KEY_INVALID',
]);

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.Usage;
  if (isMailplugError(error)) {
    if (error.code === 'SEND_PERMISSION_DENIED') return ExitCode.PermissionDenied;
    if (error.code === 'SIGN_IN_REQUIRED' || error.code === 'REAUTH_REQUIRED') return ExitCode.SignInRequired;
    if (CONFIG_CODES.has(error.code)) return ExitCode.ConfigInvalid;
  }
  return ExitCode.Failed;
}
