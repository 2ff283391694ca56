import { createHash, randomBytes } from 'node:crypto';
import type { TokenStore } from '../spec/v1/stores.js';
import type { MailAccount } from './account.js';

/**
 * A new, random account key. Hosts create one when an account is created and keep it with the
 * account record; it never changes. Tokens are stored under it, so an account that is removed and
 * another one created with the same id never meet each other's tokens — even if the old tokens
 * could not be deleted (an unreadable store, a crash during removal).
 */
export function createAccountKey(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The token-store namespace of one account identity: its key, scope and owner. Bob's account that
 * reuses the id of Alice's removed account lands in another namespace and finds nothing.
 */
export function accountNamespace(account: Pick<MailAccount, 'id' | 'key' | 'scope'>): string {
  const owner = account.scope.kind === 'user' ? account.scope.owner : null;
  const digest = createHash('sha256')
    .update(JSON.stringify([account.key ?? null, account.scope.kind, owner]))
    .digest('base64url')
    .slice(0, 16);
  return `acct.${digest}/`;
}

/**
 * The view of a token store that one account's session gets: every key it reads or writes is
 * inside the account's namespace. `deleteByPrefix('')` on the view forgets the whole account.
 */
export function accountTokenStore(
  store: TokenStore,
  account: Pick<MailAccount, 'id' | 'key' | 'scope'>,
): TokenStore {
  const ns = accountNamespace(account);
  return {
    get: (key) => store.get(ns + key),
    set: (key, value) => store.set(ns + key, value),
    delete: (key) => store.delete(ns + key),
    deleteByPrefix: (prefix) => store.deleteByPrefix(ns + prefix),
    withLock: (key, fn) => store.withLock(ns + key, fn),
  };
}
