/** Host-provided secret storage. Account configuration refers to secrets by name only. */
export interface SecretStore {
  /** The secret's value, or `undefined` when no secret has that name. */
  get(name: string): Promise<string | undefined>;
  set?(name: string, value: string): Promise<void>;
  delete?(name: string): Promise<void>;
}

/** JSON-serialisable value kept in a {@link TokenStore}. */
export type StoredValue = string | number | boolean | null | StoredValue[] | { [key: string]: StoredValue };

/**
 * Durable per-account token storage. Keys are opaque strings chosen by providers
 * (conventionally `<accountId>:<purpose>`).
 */
export interface TokenStore {
  get(key: string): Promise<StoredValue | undefined>;
  set(key: string, value: StoredValue): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Delete every key that starts with `prefix` and return how many were deleted. Core's
   * `forgetAccount` uses it so that removing an account leaves nothing of it behind, whatever
   * keys its provider chose.
   */
  deleteByPrefix(prefix: string): Promise<number>;
  /**
   * Run `fn` while holding an exclusive lock on `key`, across processes where the store is shared
   * (file, Redis). Used so that only one refresh is in flight per account.
   */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
