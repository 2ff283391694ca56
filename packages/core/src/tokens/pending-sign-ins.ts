import { createHash, randomBytes } from 'node:crypto';
import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { StoredValue, TokenStore } from '../spec/v1/stores.js';

export interface PendingSignInsOptions {
  readonly store: TokenStore;
  /** How long a sign-in may take from redirect to callback. Default 10 minutes. */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

export interface PendingSignIns {
  /** Remember `data` (PKCE verifier, redirect URI...) for one sign-in; put `state` in the authorize URL. */
  issue(
    accountId: string,
    data: Record<string, StoredValue>,
    binding?: string,
  ): Promise<{ state: string; expiresAt: number }>;
  /**
   * Returns and forgets the sign-in for `state`. Fails with SIGN_IN_STATE_INVALID when unknown,
   * used or expired, and (with `expect.accountId`) when another account started it — the state is
   * burned either way.
   */
  consume(
    state: string,
    expect?: { readonly accountId?: string; readonly binding?: string },
  ): Promise<{ accountId: string; data: Record<string, StoredValue> }>;
}

interface PendingRecord {
  accountId: string;
  data: Record<string, StoredValue>;
  expiresAt: number;
  /** SHA-256 of the host's binding (its web session id), when `begin` was given one. */
  bindingHash?: string;
}

const hashBinding = (binding: string) => createHash('sha256').update(binding).digest('base64url');

const INDEX_KEY = 'pending-sign-ins:index';
const entryKey = (state: string) => `pending-sign-in:${state}`;

/**
 * OAuth `state` bookkeeping kept in the TokenStore, so the callback may land on another instance
 * of a multi-instance host. States are 32 random bytes (base64url), single-use and expire after
 * `ttlMs`. An index of outstanding states lets `issue` prune abandoned sign-ins.
 *
 * @example
 * const pending = createPendingSignIns({ store });
 * const pkce = createPkcePair();
 * const { state } = await pending.issue('acme', { verifier: pkce.verifier });
 * // ...redirect with state + pkce.challenge; on callback, in the session of account 'acme':
 * const { data } = await pending.consume(query.state, { accountId: 'acme' });
 */
export function createPendingSignIns(options: PendingSignInsOptions): PendingSignIns {
  const { store } = options;
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;

  const invalid = (reason: string) =>
    mailplugError(
      CoreErrorCode.SignInStateInvalid,
      'user',
      `The sign-in response ${reason}.`,
      'Start the sign-in again from the account settings.',
      { details: { reason } },
    );

  async function readIndex(): Promise<Record<string, number>> {
    const value = await store.get(INDEX_KEY);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, number>)
      : {};
  }

  return {
    async issue(accountId, data, binding) {
      const state = randomBytes(32).toString('base64url');
      const expiresAt = now() + ttlMs;
      const record: PendingRecord = {
        accountId,
        data,
        expiresAt,
        ...(binding ? { bindingHash: hashBinding(binding) } : {}),
      };
      await store.withLock(INDEX_KEY, async () => {
        const index = await readIndex();
        for (const [old, oldExpiry] of Object.entries(index)) {
          if (oldExpiry <= now()) {
            delete index[old];
            await store.delete(entryKey(old));
          }
        }
        await store.set(entryKey(state), record as unknown as StoredValue);
        index[state] = expiresAt;
        await store.set(INDEX_KEY, index);
      });
      return { state, expiresAt };
    },

    async consume(state, expect = {}) {
      if (typeof state !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(state))
        throw invalid('has a malformed state');
      return store.withLock(INDEX_KEY, async () => {
        const record = (await store.get(entryKey(state))) as unknown as PendingRecord | undefined;
        if (!record) throw invalid('does not match a sign-in in progress (unknown or already used)');
        // A callback that is not this sign-in's own (another account, another browser session: a
        // login-CSRF attempt) is refused WITHOUT burning the state, so it cannot cancel the real one.
        if (expect.accountId !== undefined && record.accountId !== expect.accountId) {
          // A host bug (callback routed to the wrong session), not something the user can fix.
          throw mailplugError(
            CoreErrorCode.SignInStateInvalid,
            'developer',
            'The sign-in response belongs to another account.',
            'Complete the sign-in on the provider session of the account that started it.',
            { details: { reason: 'another account' } },
          );
        }
        if (record.bindingHash && (!expect.binding || hashBinding(expect.binding) !== record.bindingHash)) {
          throw mailplugError(
            CoreErrorCode.SignInBindingMismatch,
            'user',
            'The sign-in response was not started from this browser session; it was refused and nothing was saved.',
            'Start the sign-in again from the account settings in this browser; if you did not start it, ignore this.',
            { details: { reason: 'another session' } },
          );
        }
        // Delete before checking expiry: an expired state is as dead as a used one.
        await store.delete(entryKey(state));
        const index = await readIndex();
        delete index[state];
        await store.set(INDEX_KEY, index);
        if (record.expiresAt <= now()) throw invalid('arrived after the sign-in expired');
        return { accountId: record.accountId, data: record.data };
      });
    },
  };
}

/**
 * A PKCE verifier (32 random bytes, base64url) and its S256 challenge (RFC 7636).
 *
 * @example
 * const { verifier, challenge, method } = createPkcePair();
 */
export function createPkcePair(): { verifier: string; challenge: string; method: 'S256' } {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge, method: 'S256' };
}
