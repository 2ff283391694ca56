import { CoreErrorCode, isMailplugError } from '@mailplug/core';
import { ConsoleErrorCode } from './console-errors.js';

/** Process exit codes of `mailplug-console` (documented in the README). */
export const ExitCode = {
  Ok: 0,
  /** The operation ran and failed: connection, authentication, probe step, send, demo step. */
  Failed: 1,
  /** Unknown command or option, missing argument, unusable stdin. */
  Usage: 2,
  /** The acting user may not send from the account (SEND_PERMISSION_DENIED). Nothing was sent. */
  PermissionDenied: 3,
  /** Configuration is invalid: validation issues, unknown account/provider, unsafe files, unreadable token store. */
  ConfigInvalid: 4,
  /** Nobody has signed in, or a user must sign in again. */
  SignInRequired: 5,
  /** A transient failure (identity platform or server unavailable, throttled, a lock held): try again later. */
  TryAgainLater: 6,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A mistake in how the command was called; printed with the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const CONFIG_CODES = new Set<string>([
  CoreErrorCode.ConfigInvalid,
  CoreErrorCode.SecretMissing,
  CoreErrorCode.SecretInline,
  CoreErrorCode.FooterTooLong,
  CoreErrorCode.InsecureAuthRefused,
  CoreErrorCode.ProtocolMismatch,
  CoreErrorCode.RegistryUnknownId,
  CoreErrorCode.TokenStoreKeyMissing,
  CoreErrorCode.TokenStoreKeyInvalid,
  CoreErrorCode.TokenStoreUnreadable,
  ConsoleErrorCode.AccountNotFound,
  ConsoleErrorCode.AccountExists,
  ConsoleErrorCode.UserNotFound,
  ConsoleErrorCode.UserExists,
  ConsoleErrorCode.FileUnsafe,
  ConsoleErrorCode.SecretNotShared,
  ConsoleErrorCode.SecretNameCollision,
]);

const SIGN_IN_CODES = new Set<string>([CoreErrorCode.SignInRequired, CoreErrorCode.ReauthRequired]);

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.Usage;
  if (isMailplugError(error)) {
    if (error.code === CoreErrorCode.PermissionDenied) return ExitCode.PermissionDenied;
    if (SIGN_IN_CODES.has(error.code)) return ExitCode.SignInRequired;
    if (CONFIG_CODES.has(error.code)) return ExitCode.ConfigInvalid;
    if (error.action === 'retry') return ExitCode.TryAgainLater;
  }
  return ExitCode.Failed;
}
