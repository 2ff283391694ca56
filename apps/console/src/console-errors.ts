/** Codes the console itself raises (everything else comes from core's `CoreErrorCode` and the adapters). */
export const ConsoleErrorCode = {
  AccountNotFound: 'ACCOUNT_NOT_FOUND',
  AccountExists: 'ACCOUNT_EXISTS',
  UserNotFound: 'USER_NOT_FOUND',
  UserExists: 'USER_EXISTS',
  /** A key/secret file or the configuration directory is open to other users. */
  FileUnsafe: 'FILE_PERMISSIONS_UNSAFE',
  /** Another console holds the lock on a configuration file for too long. */
  FileLocked: 'CONFIG_LOCKED',
  /** `--secret-ref` names a secret that belongs to another account. */
  SecretNotShared: 'SECRET_NOT_SHARED',
  /** Two secret names (or account ids) map to the same `MAILPLUG_SECRET_<NAME>` variable. */
  SecretNameCollision: 'SECRET_NAME_COLLISION',
} as const;

export type ConsoleErrorCode = (typeof ConsoleErrorCode)[keyof typeof ConsoleErrorCode];
