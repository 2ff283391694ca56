import type { MailboxIdentity } from '../spec/v1/auth-provider.js';
import type { StoredValue } from '../spec/v1/stores.js';
import type { TokenSet } from '../tokens/token-manager.js';

/**
 * The `extra` fields of a token set that describe who signed in, so `checkAuthorization` can say
 * which mailbox an account is authorized for without asking the identity platform. Every provider
 * writes them with this function and reads them with {@link identityFromTokenSet}.
 *
 * @example
 * await tokens.save({ accessToken, expiresAt, refreshToken, scopes, user: identity.mailbox,
 *   extra: { ...identityTokenExtra(identity), homeAccountId } });
 */
export function identityTokenExtra(identity: MailboxIdentity): Record<string, StoredValue> {
  return {
    ...(identity.subject !== undefined ? { subject: identity.subject } : {}),
    ...(identity.displayName !== undefined ? { displayName: identity.displayName } : {}),
    ...(identity.tenantId !== undefined ? { tenantId: identity.tenantId } : {}),
  };
}

/**
 * The mailbox identity a stored token set was issued for: `user` plus the fields written by
 * {@link identityTokenExtra}.
 *
 * @example
 * const stored = await tokens.load();
 * const identity = stored ? identityFromTokenSet(stored) : undefined;
 */
export function identityFromTokenSet(tokens: Pick<TokenSet, 'user' | 'extra'>): MailboxIdentity {
  const extra = tokens.extra ?? {};
  const text = (key: string) => (typeof extra[key] === 'string' ? (extra[key] as string) : undefined);
  const subject = text('subject');
  const displayName = text('displayName');
  const tenantId = text('tenantId');
  return {
    mailbox: tokens.user,
    ...(subject !== undefined ? { subject } : {}),
    ...(displayName !== undefined ? { displayName } : {}),
    ...(tenantId !== undefined ? { tenantId } : {}),
  };
}
