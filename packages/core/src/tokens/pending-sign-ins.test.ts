import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEncryptedFileTokenStore } from './encrypted-file-store.js';
import { createMemoryTokenStore } from './memory-store.js';
import { createPendingSignIns, createPkcePair } from './pending-sign-ins.js';
import { caught, tempDirsRemovedAfterAll } from './test-support.js';

const tempDir = tempDirsRemovedAfterAll('mailplug-pending-');

describe('createPendingSignIns', () => {
  it('issues a 32-byte base64url state and consumes it exactly once', async () => {
    const pending = createPendingSignIns({ store: createMemoryTokenStore() });
    const { state, expiresAt } = await pending.issue('acme', {
      verifier: 'v-123',
      redirectUri: 'http://x/cb',
    });
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(state, 'base64url')).toHaveLength(32);
    expect(expiresAt).toBeGreaterThan(Date.now());
    expect((await pending.issue('acme', {})).state).not.toBe(state);
    expect(await pending.consume(state)).toEqual({
      accountId: 'acme',
      data: { verifier: 'v-123', redirectUri: 'http://x/cb' },
    });
    const second = await caught(pending.consume(state));
    expect([second.code, second.action]).toEqual(['SIGN_IN_STATE_INVALID', 'user']);
    expect(second.hint).toMatch(/sign-in again/);
  });

  it('concurrent consumes of one state: exactly one wins', async () => {
    const pending = createPendingSignIns({ store: createMemoryTokenStore() });
    const { state } = await pending.issue('acme', { n: 1 });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => pending.consume(state)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('rejects expired and unknown states and prunes abandoned ones', async () => {
    const clock = { now: 1_000_000 };
    const store = createMemoryTokenStore();
    const pending = createPendingSignIns({ store, ttlMs: 60_000, now: () => clock.now });
    const { state, expiresAt } = await pending.issue('acme', {});
    expect(expiresAt).toBe(1_060_000);
    const abandoned = await pending.issue('acme', {});
    clock.now += 60_000;
    const expired = await caught(pending.consume(state));
    expect(expired.code).toBe('SIGN_IN_STATE_INVALID');
    expect(expired.message).toMatch(/expired/);
    expect(expired.message).not.toContain(state);
    await pending.issue('acme', {}); // prunes the abandoned, expired entry
    expect(await store.get(`pending-sign-in:${abandoned.state}`)).toBeUndefined();
    expect((await caught(pending.consume(randomBytes(32).toString('base64url')))).code).toBe(
      'SIGN_IN_STATE_INVALID',
    );
    expect((await caught(pending.consume('not a state'))).code).toBe('SIGN_IN_STATE_INVALID');
  });

  it("with an expected account: refuses a state another account started, without burning that account's sign-in", async () => {
    const pending = createPendingSignIns({ store: createMemoryTokenStore() });
    const { state } = await pending.issue('acme', { verifier: 'v' });
    const wrong = await caught(pending.consume(state, { accountId: 'other' }));
    expect([wrong.code, wrong.action]).toEqual(['SIGN_IN_STATE_INVALID', 'developer']);
    expect(wrong.message).toMatch(/another account/);
    expect(wrong.hint).toMatch(/session of the account that started it/);
    // The real sign-in of 'acme' still completes.
    expect(await pending.consume(state, { accountId: 'acme' })).toEqual({
      accountId: 'acme',
      data: { verifier: 'v' },
    });
  });

  it('a sign-in bound to a host session completes only with that binding; a foreign callback cannot burn it', async () => {
    const pending = createPendingSignIns({ store: createMemoryTokenStore() });
    const { state } = await pending.issue('acme', { verifier: 'v' }, 'web-session-of-admin');
    for (const binding of [undefined, 'web-session-of-attacker']) {
      const refused = await caught(
        pending.consume(state, { accountId: 'acme', ...(binding ? { binding } : {}) }),
      );
      expect([refused.code, refused.action]).toEqual(['SIGN_IN_BINDING_MISMATCH', 'user']);
    }
    expect(await pending.consume(state, { accountId: 'acme', binding: 'web-session-of-admin' })).toEqual({
      accountId: 'acme',
      data: { verifier: 'v' },
    });
    // The binding is kept only as a hash.
    const store = createMemoryTokenStore();
    const other = createPendingSignIns({ store });
    const issued = await other.issue('acme', {}, 'session-id-1234567890');
    expect(JSON.stringify(await store.get(`pending-sign-in:${issued.state}`))).not.toContain(
      'session-id-1234567890',
    );
  });

  it('works across instances sharing a store file (multi-instance hosts)', async () => {
    const dir = await tempDir();
    const key = randomBytes(32).toString('hex');
    const path = join(dir, 'tokens.bin');
    const a = createPendingSignIns({ store: createEncryptedFileTokenStore({ path, key }) });
    const b = createPendingSignIns({ store: createEncryptedFileTokenStore({ path, key }) });
    const { state } = await a.issue('acme', { verifier: 'abc' });
    expect(await b.consume(state)).toEqual({ accountId: 'acme', data: { verifier: 'abc' } });
    expect((await caught(a.consume(state))).code).toBe('SIGN_IN_STATE_INVALID');
  });
});

describe('createPkcePair', () => {
  it('returns a 43-char verifier and its S256 challenge', () => {
    const { verifier, challenge, method } = createPkcePair();
    expect(method).toBe('S256');
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(challenge).toBe(createHash('sha256').update(verifier).digest('base64url'));
    expect(createPkcePair().verifier).not.toBe(verifier);
  });
});
