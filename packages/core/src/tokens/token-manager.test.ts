import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mailplugError } from '../errors/codes.js';
import type { SessionChange } from '../spec/v1/auth-provider.js';
import type { MailplugError } from '../spec/v1/mailplug-error.js';
import type { TokenStore } from '../spec/v1/stores.js';
import { classifyFailure } from './classify-failure.js';
import { createEncryptedFileTokenStore } from './encrypted-file-store.js';
import { createMemoryTokenStore } from './memory-store.js';
import { caught, tempDirsRemovedAfterAll } from './test-support.js';
import { createTokenManager, type TokenManagerOptions, type TokenSet } from './token-manager.js';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const tempDir = tempDirsRemovedAfterAll('mailplug-tm-');

function tokens(n: number, overrides: Partial<TokenSet> = {}): TokenSet {
  return {
    accessToken: `access-token-${n}-${randomBytes(6).toString('hex')}`,
    expiresAt: T0 + 60 * MIN,
    refreshToken: `refresh-token-${n}-${randomBytes(6).toString('hex')}`,
    scopes: ['https://mail.google.com/'],
    user: 'billing@acme.test',
    ...overrides,
  };
}

interface Harness {
  store: TokenStore;
  clock: { now: number };
  calls: Array<TokenSet | undefined>;
  events: SessionChange[];
  delays: number[];
  make(extra?: Partial<TokenManagerOptions>): ReturnType<typeof createTokenManager>;
}

function harness(
  refresh: TokenManagerOptions['refresh'],
  store: TokenStore = createMemoryTokenStore(),
): Harness {
  const clock = { now: T0 };
  const calls: Array<TokenSet | undefined> = [];
  const events: SessionChange[] = [];
  const delays: number[] = [];
  return {
    store,
    clock,
    calls,
    events,
    delays,
    make(extra = {}) {
      const manager = createTokenManager({
        accountId: 'acme',
        store,
        now: () => clock.now,
        sleep: async (ms) => {
          delays.push(ms);
          clock.now += ms;
        },
        refresh: (current, ctx) => {
          calls.push(current);
          return refresh(current, ctx);
        },
        ...extra,
      });
      manager.onDidChange((e) => events.push(e));
      return manager;
    },
  };
}

describe('createTokenManager', () => {
  it('throws SIGN_IN_REQUIRED (user) when the account has no tokens', async () => {
    const h = harness(async () => tokens(1));
    const error = await caught(h.make().getCredential({ protocol: 'smtp' }));
    expect([error.code, error.action]).toEqual(['SIGN_IN_REQUIRED', 'user']);
    expect(await h.make().state()).toBe('signInRequired');
    expect(h.calls).toHaveLength(0);
  });

  it('returns the cached token until earlyRefreshMs before expiry, then refreshes', async () => {
    const next = tokens(2, { expiresAt: T0 + 120 * MIN });
    const h = harness(async () => next);
    const manager = h.make({ earlyRefreshMs: 7 * MIN });
    const first = tokens(1, { expiresAt: T0 + 60 * MIN });
    await manager.save(first);
    h.clock.now = T0 + 53 * MIN - 1; // 7 min + 1 ms before expiry: still cached
    expect((await manager.getCredential({ protocol: 'smtp' })).accessToken).toBe(first.accessToken);
    expect(h.calls).toHaveLength(0);
    h.clock.now = T0 + 53 * MIN; // exactly at the margin: refresh
    const credential = await manager.getCredential({ protocol: 'smtp' });
    expect(credential).toEqual({
      kind: 'oauth2',
      user: 'billing@acme.test',
      accessToken: next.accessToken,
      expiresAt: next.expiresAt,
      scopes: ['https://mail.google.com/'],
    });
    expect(h.calls).toEqual([first]);
  });

  it('forceRefresh refreshes a token that is still fresh', async () => {
    const h = harness(async () => tokens(2));
    const manager = h.make();
    await manager.save(tokens(1));
    const credential = await manager.getCredential({ protocol: 'smtp', forceRefresh: true });
    expect(h.calls).toHaveLength(1);
    expect(credential.accessToken).toMatch(/^access-token-2-/);
  });

  it('1,000 concurrent getCredential calls cause exactly one refresh', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const next = tokens(2);
    const h = harness(async () => {
      await gate;
      return next;
    });
    const manager = h.make();
    await manager.save(tokens(1, { expiresAt: T0 + MIN }));
    const all = Promise.all(Array.from({ length: 1000 }, () => manager.getCredential({ protocol: 'smtp' })));
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    const results = await all;
    expect(h.calls).toHaveLength(1);
    expect(new Set(results.map((r) => r.accessToken))).toEqual(new Set([next.accessToken]));
    expect(h.events.filter((e) => e.type === 'changed')).toHaveLength(1);
  });

  it('two stores on one file (as two processes would be) refresh once: the second re-reads under the lock', async () => {
    const dir = await tempDir();
    const key = randomBytes(32).toString('base64');
    const path = join(dir, 'tokens.bin');
    let refreshes = 0;
    const refresh = async () => {
      refreshes++;
      await new Promise((resolve) => setTimeout(resolve, 30));
      return tokens(2);
    };
    const a = harness(refresh, createEncryptedFileTokenStore({ path, key }));
    const b = harness(refresh, createEncryptedFileTokenStore({ path, key }));
    await a.make().save(tokens(1, { expiresAt: T0 + MIN }));
    const [fromA, fromB] = await Promise.all([
      a.make().getCredential({ protocol: 'smtp' }),
      b.make().getCredential({ protocol: 'imap' }),
    ]);
    expect(refreshes).toBe(1);
    expect(fromA.accessToken).toBe(fromB.accessToken);
  });

  it('persists a rotated refresh token (read back by a fresh manager) and fires changed/rotated', async () => {
    const rotated = tokens(2);
    const h = harness(async () => rotated);
    const manager = h.make();
    const first = tokens(1, { expiresAt: T0 });
    await manager.save(first);
    await manager.getCredential({ protocol: 'smtp' });
    const reloaded = await h.make().load();
    expect(reloaded?.refreshToken).toBe(rotated.refreshToken);
    expect(reloaded?.accessToken).toBe(rotated.accessToken);
    expect(h.events).toContainEqual({ type: 'changed', accountId: 'acme', reason: 'rotated' });
  });

  it('keeps the old refresh token when the response omits one and fires changed/refreshed', async () => {
    const { refreshToken: _omitted, ...withoutRefresh } = tokens(2);
    const h = harness(async () => withoutRefresh);
    const manager = h.make();
    const first = tokens(1, { expiresAt: T0, refreshTokenExpiresAt: T0 + 90 * DAY });
    await manager.save(first);
    await manager.getCredential({ protocol: 'smtp' });
    const reloaded = await h.make().load();
    expect(reloaded?.refreshToken).toBe(first.refreshToken);
    expect(reloaded?.refreshTokenExpiresAt).toBe(T0 + 90 * DAY);
    expect(reloaded?.accessToken).toBe(withoutRefresh.accessToken);
    expect(h.events).toEqual([{ type: 'changed', accountId: 'acme', reason: 'refreshed' }]);
  });

  it('retries transient failures with exponential backoff, full jitter and a ceiling, then reports TRANSIENT', async () => {
    const h = harness(async () => {
      throw Object.assign(new Error('Service Unavailable'), { status: 503 });
    });
    const manager = h.make({
      retry: { attempts: 7, baseDelayMs: 500, maxDelayMs: 5_000, maxTotalMs: 120_000 },
      random: () => 0.999_999,
    });
    await manager.save(tokens(1, { expiresAt: T0 }));
    const error = await caught(manager.getCredential({ protocol: 'smtp' }));
    expect([error.code, error.action]).toEqual(['TRANSIENT', 'retry']);
    expect(error.hint).toMatch(/try again/);
    expect(h.calls).toHaveLength(7);
    expect(h.delays).toEqual([499, 999, 1999, 3999, 4999, 4999]);
    // Never reported as a credential problem.
    expect(await manager.state()).toBe('authorized');
    expect(h.events.some((e) => e.type === 'reauthRequired')).toBe(false);
  });

  it('uses full jitter (random 0 → no wait), honours Retry-After, and recovers when the provider does', async () => {
    let failures = 0;
    const next = tokens(2);
    const h = harness(async () => {
      failures++;
      if (failures === 1) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      if (failures === 2) throw { status: 429, headers: { 'retry-after': '3' } };
      return next;
    });
    const manager = h.make({ random: () => 0 });
    await manager.save(tokens(1, { expiresAt: T0 }));
    expect((await manager.getCredential({ protocol: 'smtp' })).accessToken).toBe(next.accessToken);
    expect(h.delays).toEqual([0, 3000]);
  });

  it('on re-auth: persists the state, fires reauthRequired once, and never calls refresh again until save()', async () => {
    const h = harness(async () => {
      throw Object.assign(new Error('Bad Request'), {
        response: {
          status: 400,
          data: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
        },
      });
    });
    const manager = h.make();
    await manager.save(tokens(1, { expiresAt: T0 }));
    const first = await caught(manager.getCredential({ protocol: 'smtp' }));
    expect([first.code, first.action]).toEqual(['REAUTH_REQUIRED', 'user']);
    for (let i = 0; i < 5; i++) {
      const again = await caught(manager.getCredential({ protocol: 'smtp', forceRefresh: true }));
      expect(again.code).toBe('REAUTH_REQUIRED');
      expect(again.hint).toMatch(/[Ss]ign in/);
    }
    expect(h.calls).toHaveLength(1);
    expect(h.events.filter((e) => e.type === 'reauthRequired')).toHaveLength(1);
    expect(await manager.state()).toBe('reauthRequired');
    // Another manager on the same store (a restart, another worker) does not retry either.
    expect((await caught(h.make().getCredential({ protocol: 'smtp' }))).code).toBe('REAUTH_REQUIRED');
    expect(h.calls).toHaveLength(1);
    // A new interactive sign-in clears it.
    await manager.save(tokens(3));
    expect(await manager.state()).toBe('authorized');
    expect((await manager.getCredential({ protocol: 'smtp' })).accessToken).toMatch(/^access-token-3-/);
  });

  it('a custom classify can map provider errors to re-auth; admin errors are thrown without retry', async () => {
    const h = harness(async () => {
      throw Object.assign(new Error('AADSTS700082: The refresh token has expired due to inactivity.'), {
        errorCode: 'weird_error',
      });
    });
    const manager = h.make({
      classify: (e) =>
        (e as Error).message.includes('AADSTS700082')
          ? mailplugError(
              'M365_REFRESH_TOKEN_EXPIRED',
              'user',
              'The refresh token expired.',
              'Sign in again.',
            )
          : classifyFailure(e),
    });
    await manager.save(tokens(1, { expiresAt: T0 }));
    const error = await caught(manager.getCredential({ protocol: 'smtp' }));
    expect([error.code, error.action]).toEqual(['REAUTH_REQUIRED', 'user']);
    expect(error.details).toMatchObject({ reason: 'M365_REFRESH_TOKEN_EXPIRED' });
    expect((h.events.find((e) => e.type === 'reauthRequired') as { error: MailplugError }).error.code).toBe(
      'REAUTH_REQUIRED',
    );
    await caught(manager.getCredential({ protocol: 'smtp' }));
    expect(h.calls).toHaveLength(1);

    // A classify that itself throws falls back to classifyFailure (unknown → developer, not retried).
    const broken = harness(async () => {
      throw new Error('something odd');
    });
    const brokenManager = broken.make({
      classify: () => {
        throw new Error('classifier bug');
      },
    });
    await brokenManager.save(tokens(1, { expiresAt: T0 }));
    const odd = await caught(brokenManager.getCredential({ protocol: 'smtp' }));
    expect([odd.code, odd.action]).toEqual(['TOKEN_REFRESH_FAILED', 'developer']);
    expect(broken.calls).toHaveLength(1);

    const admin = harness(async () => {
      throw { error: 'invalid_client', error_description: 'Invalid client secret provided.' };
    });
    const adminManager = admin.make();
    await adminManager.save(tokens(1, { expiresAt: T0 }));
    const adminError = await caught(adminManager.getCredential({ protocol: 'smtp' }));
    expect([adminError.code, adminError.action]).toEqual(['CONFIG_INVALID', 'admin']);
    expect(admin.calls).toHaveLength(1);
    expect(await adminManager.state()).toBe('authorized');
  });

  it('fires expiringSoon once per (what, expiresAt) for refresh tokens and known app credentials', async () => {
    const h = harness(async () => tokens(2));
    const manager = h.make({
      expiringSoonWindowMs: 14 * DAY,
      knownExpiries: { clientSecret: T0 + 10 * DAY, certificate: T0 + 200 * DAY },
    });
    await manager.save(tokens(1, { refreshTokenExpiresAt: T0 + 5 * DAY }));
    for (let i = 0; i < 3; i++) await manager.getCredential({ protocol: 'smtp' });
    const soon = h.events.filter((e) => e.type === 'expiringSoon');
    expect(soon).toEqual([
      { type: 'expiringSoon', accountId: 'acme', what: 'refreshToken', expiresAt: T0 + 5 * DAY },
      { type: 'expiringSoon', accountId: 'acme', what: 'clientSecret', expiresAt: T0 + 10 * DAY },
    ]);
  });

  it('never puts a token into an error message, hint, JSON, stack or the persisted state', async () => {
    const first = tokens(1, { expiresAt: T0 });
    const leaky = harness(async (current) => {
      throw Object.assign(
        new Error(`invalid_grant for ${current?.refreshToken} (was ${current?.accessToken})`),
        {
          body: JSON.stringify({ error: 'invalid_grant', refresh_token: current?.refreshToken }),
        },
      );
    });
    const manager = leaky.make();
    await manager.save(first);
    const error = await caught(manager.getCredential({ protocol: 'smtp' }));
    const transient = harness(async (current) => {
      throw Object.assign(new Error(`503 while using ${current?.refreshToken}`), { status: 503 });
    });
    const transientManager = transient.make({ retry: { attempts: 2 } });
    const second = tokens(2, { expiresAt: T0 });
    await transientManager.save(second);
    const transientError = await caught(transientManager.getCredential({ protocol: 'smtp' }));
    const persisted = JSON.stringify(await leaky.store.get('acme:state'));
    for (const [e, t] of [
      [error, first],
      [transientError, second],
    ] as const) {
      const surfaces = [e.message, e.hint, JSON.stringify(e), String(e), e.stack ?? '', String(e.cause)];
      for (const surface of surfaces) {
        expect(surface).not.toContain(t.accessToken);
        expect(surface).not.toContain(t.refreshToken);
      }
    }
    expect(persisted).toContain('reauthRequired');
    expect(persisted).not.toContain(first.refreshToken);
  });

  it('clear() forgets tokens and state (sign-out)', async () => {
    const h = harness(async () => tokens(2));
    const manager = h.make();
    await manager.save(tokens(1));
    await manager.clear();
    expect(await manager.load()).toBeUndefined();
    expect(await manager.state()).toBe('signInRequired');
  });
});

describe('createTokenManager deadlines', () => {
  it('a token endpoint that accepts the connection and never answers ends as a classified retry within the deadline', async () => {
    const { createServer } = await import('node:http');
    const hung: import('node:http').ServerResponse[] = [];
    const server = createServer((_req, res) => void hung.push(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    const aborted: unknown[] = [];
    try {
      const h = harness(async (_current, ctx) => {
        ctx.signal?.addEventListener('abort', () => aborted.push(ctx.signal?.reason));
        const response = await fetch(`http://127.0.0.1:${port}/token`, {
          method: 'POST',
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        });
        return (await response.json()) as TokenSet;
      });
      const manager = h.make({
        requestTimeoutMs: 150,
        retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
      });
      await manager.save(tokens(1, { expiresAt: T0 }));
      const error = await caught(manager.getCredential({ protocol: 'smtp' }));
      expect([error.code, error.action]).toEqual(['TRANSIENT', 'retry']);
      expect(error.details?.lastCode).toBe('TIMEOUT');
      expect(h.calls).toHaveLength(2);
      // Each attempt's signal was aborted, so the library could drop its socket.
      expect(aborted).toHaveLength(2);
      // The endpoint really was reached and held the request (not a refused connection).
      expect(hung.length).toBeGreaterThanOrEqual(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a refresh that ignores its abort signal still ends at the deadline', async () => {
    const h = harness(() => new Promise<TokenSet>(() => {}));
    const manager = h.make({ requestTimeoutMs: 50, retry: { attempts: 1 } });
    await manager.save(tokens(1, { expiresAt: T0 }));
    const error = await caught(manager.getCredential({ protocol: 'smtp' }));
    expect([error.code, error.action, error.details?.lastCode]).toEqual(['TRANSIENT', 'retry', 'TIMEOUT']);
  });

  it('the retry loop stops at its overall ceiling instead of making every attempt', async () => {
    const h = harness(async () => {
      throw Object.assign(new Error('Service Unavailable'), { status: 503 });
    });
    const manager = h.make({
      requestTimeoutMs: 1_000,
      retry: { attempts: 50, baseDelayMs: 1_000, maxDelayMs: 1_000, maxTotalMs: 5_500 },
      random: () => 0.999_999,
    });
    await manager.save(tokens(1, { expiresAt: T0 }));
    const error = await caught(manager.getCredential({ protocol: 'smtp' }));
    expect([error.code, error.action]).toEqual(['TRANSIENT', 'retry']);
    // Waits of ~1 s each: an attempt starts only when wait + its deadline still fit in 5.5 s.
    expect(h.calls).toHaveLength(5);
  });
});
