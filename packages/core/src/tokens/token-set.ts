import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { StoredValue } from '../spec/v1/stores.js';
import type { TokenSet } from './token-manager.js';

type Loose = Partial<Record<keyof TokenSet, unknown>>;

/**
 * Checks what a refresh callback (or a sign-in) produced. A missing `user` or `scopes` falls back
 * to the current set, because token endpoints often omit them on refresh.
 */
export function validateRefreshResult(
  value: unknown,
  current: TokenSet | undefined,
  accountId: string,
): TokenSet {
  const v = (value ?? {}) as Loose;
  const problems: string[] = [];
  if (typeof v.accessToken !== 'string' || v.accessToken === '') problems.push('accessToken');
  if (typeof v.expiresAt !== 'number' || !Number.isFinite(v.expiresAt)) problems.push('expiresAt');
  const user = typeof v.user === 'string' && v.user !== '' ? v.user : current?.user;
  if (user === undefined) problems.push('user');
  const scopes = Array.isArray(v.scopes) ? v.scopes.map(String) : (current?.scopes ?? []);
  if (v.refreshToken !== undefined && typeof v.refreshToken !== 'string') problems.push('refreshToken');
  if (v.refreshTokenExpiresAt !== undefined && typeof v.refreshTokenExpiresAt !== 'number') {
    problems.push('refreshTokenExpiresAt');
  }
  if (problems.length > 0) {
    throw mailplugError(
      CoreErrorCode.ConfigInvalid,
      'developer',
      `The token set for account "${accountId}" is missing or has invalid ${problems.join(', ')}.`,
      'Return accessToken (string), expiresAt (epoch ms), user and scopes from the refresh callback and to save().',
      { details: { accountId, fields: problems } },
    );
  }
  const tokens: TokenSet = {
    accessToken: v.accessToken as string,
    expiresAt: v.expiresAt as number,
    scopes,
    user: user as string,
  };
  if (typeof v.refreshToken === 'string' && v.refreshToken !== '') tokens.refreshToken = v.refreshToken;
  if (typeof v.refreshTokenExpiresAt === 'number') tokens.refreshTokenExpiresAt = v.refreshTokenExpiresAt;
  if (v.extra && typeof v.extra === 'object') tokens.extra = v.extra as Record<string, StoredValue>;
  return tokens;
}

/** A stored record, or undefined when absent or not a token set (then the account must sign in). */
export function readTokenSet(value: StoredValue | undefined): TokenSet | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  if (typeof value.accessToken !== 'string' || typeof value.expiresAt !== 'number') return undefined;
  try {
    return validateRefreshResult(value, undefined, '');
  } catch {
    return undefined;
  }
}

/** StoredValue has no `undefined`; drop absent optionals so every store round-trips the same. */
export function toStoredTokenSet(tokens: TokenSet): StoredValue {
  const out: Record<string, StoredValue> = {
    accessToken: tokens.accessToken,
    expiresAt: tokens.expiresAt,
    scopes: [...tokens.scopes],
    user: tokens.user,
  };
  if (tokens.refreshToken !== undefined) out.refreshToken = tokens.refreshToken;
  if (tokens.refreshTokenExpiresAt !== undefined) out.refreshTokenExpiresAt = tokens.refreshTokenExpiresAt;
  if (tokens.extra !== undefined) out.extra = tokens.extra;
  return out;
}
