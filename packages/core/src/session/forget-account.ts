import type { TokenStore } from '../spec/v1/stores.js';

/**
 * Forgets everything an account left in a token store: the token manager's tokens and state,
 * a provider's own cache (msal), receive cursors — every key under `<accountId>:`. Hosts call it
 * when an account is removed, so a new account that reuses the id starts with nothing; sign-out
 * calls it too. Returns how many entries were deleted.
 *
 * @example
 * await session.signOut();
 * await forgetAccount(tokenStore, account.id);
 */
export async function forgetAccount(store: TokenStore, accountId: string): Promise<number> {
  return store.deleteByPrefix(accountKeyPrefix(accountId));
}

/** The prefix every token-store key of one account starts with (`<accountId>:`). */
export function accountKeyPrefix(accountId: string): string {
  return `${accountId}:`;
}
