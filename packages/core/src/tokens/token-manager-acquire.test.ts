/** TokenManager: first acquisition for app-only flows (`acquireWhenEmpty`) and reported rotation. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mailplugError } from '../errors/codes.js';
import type { SessionChange } from '../spec/v1/auth-provider.js';
import { isMailplugError, type MailplugError } from '../spec/v1/mailplug-error.js';
import type { TokenStore } from '../spec/v1/stores.js';
import { createEncryptedFileTokenStore } from './encrypted-file-store.js';
import { createMemoryTokenStore } from './memory-store.js';
import { createTokenManager, type TokenManagerOptions, type TokenSet } from './token-manager.js';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function appToken(n: number): TokenSet {
  return {
    accessToken: `app-access-${n}-${randomBytes(6).toString('hex')}`,
    expiresAt: T0 + 60 * MIN,
    scopes: ['https://outlook.office365.com/.default'],
    user: 'noreply@acme.test',
  };
}

function managerOn(
  store: TokenStore,
  refresh: TokenManagerOptions['refresh'],
  extra: Partial<TokenManagerOptions> = {},
) {
  const calls: Array<TokenSet | undefined> = [];
  const events: SessionChange[] = [];
  const manager = createTokenManager({
    accountId: 'svc',
    store,
    now: () => T0,
    sleep: async () => {},
    refresh: (current, ctx) => {
      calls.push(current);
      return refresh(current, ctx);
    },
    ...extra,
  });
  manager.onDidChange((e) => events.push(e));
  return { manager, calls, events };
}

async function caught(promise: Promise<unknown>): Promise<MailplugError> {
  const outcome = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMailplugError(outcome)) throw new Error(`expected a MailplugError, got ${String(outcome)}`);
  return outcome;
}

describe('createTokenManager({ acquireWhenEmpty })', () => {
  it('1,000 concurrent first calls with nothing stored cause exactly one acquisition, refresh(undefined)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = appToken(1);
    const { manager, calls, events } = managerOn(
      createMemoryTokenStore(),
      async () => {
        await gate;
        return first;
      },
      { acquireWhenEmpty: true },
    );
    expect(await manager.state()).toBe('authorized');
    const all = Promise.all(Array.from({ length: 1000 }, () => manager.getCredential({ protocol: 'smtp' })));
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    const results = await all;
    expect(calls).toEqual([undefined]);
    expect(new Set(results.map((r) => r.accessToken))).toEqual(new Set([first.accessToken]));
    expect(events).toEqual([{ type: 'changed', accountId: 'svc', reason: 'refreshed' }]);
    // Persisted like any refresh: the next call is served from the store.
    expect((await manager.load())?.accessToken).toBe(first.accessToken);
    await manager.getCredential({ protocol: 'smtp' });
    expect(calls).toHaveLength(1);
  });

  it('two stores on one file (two processes) acquire once: the second re-reads under the refresh lock', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mailplug-tm-acquire-'));
    dirs.push(dir);
    const key = randomBytes(32).toString('base64');
    const path = join(dir, 'tokens.bin');
    let acquisitions = 0;
    const refresh = async () => {
      acquisitions++;
      await new Promise((resolve) => setTimeout(resolve, 30));
      return appToken(acquisitions);
    };
    const a = managerOn(createEncryptedFileTokenStore({ path, key }), refresh, { acquireWhenEmpty: true });
    const b = managerOn(createEncryptedFileTokenStore({ path, key }), refresh, { acquireWhenEmpty: true });
    const [fromA, fromB] = await Promise.all([
      a.manager.getCredential({ protocol: 'smtp' }),
      b.manager.getCredential({ protocol: 'imap' }),
    ]);
    expect(acquisitions).toBe(1);
    expect(fromA.accessToken).toBe(fromB.accessToken);
  });

  it('retries a transient first acquisition and classifies an admin failure without storing anything', async () => {
    let attempt = 0;
    const recovered = managerOn(
      createMemoryTokenStore(),
      async () => {
        attempt++;
        if (attempt === 1) throw Object.assign(new Error('Service Unavailable'), { status: 503 });
        return appToken(2);
      },
      { acquireWhenEmpty: true },
    );
    expect((await recovered.manager.getCredential({ protocol: 'smtp' })).accessToken).toMatch(
      /^app-access-2-/,
    );
    expect(recovered.calls).toEqual([undefined, undefined]);

    const store = createMemoryTokenStore();
    const refused = managerOn(
      store,
      async () => {
        throw { error: 'invalid_client', error_description: 'Invalid client secret provided.' };
      },
      { acquireWhenEmpty: true },
    );
    const error = await caught(refused.manager.getCredential({ protocol: 'smtp' }));
    expect([error.code, error.action]).toEqual(['CONFIG_INVALID', 'admin']);
    expect(refused.calls).toHaveLength(1);
    expect(await store.get('svc:tokens')).toBeUndefined();
    expect(await refused.manager.state()).toBe('authorized');
  });

  it("keeps the provider classify's hint (and Retry-After) when transient retries run out", async () => {
    const { manager, calls } = managerOn(
      createMemoryTokenStore(),
      async () => {
        throw new Error('throttled');
      },
      {
        acquireWhenEmpty: true,
        retry: { attempts: 2 },
        classify: () =>
          mailplugError('TRANSIENT', 'retry', 'Throttled.', 'Wait for the Retry-After Contoso asked for.', {
            retryAfterMs: 10,
          }),
      },
    );
    const error = await caught(manager.getCredential({ protocol: 'smtp' }));
    expect([error.code, error.action, error.hint]).toEqual([
      'TRANSIENT',
      'retry',
      'Wait for the Retry-After Contoso asked for.',
    ]);
    expect(error.retryAfterMs).toBe(10);
    expect(calls).toHaveLength(2);
  });

  it('a classify that says the user must act marks the account once, as for any refresh', async () => {
    const { manager, calls, events } = managerOn(
      createMemoryTokenStore(),
      async () => {
        throw new Error('consent revoked');
      },
      {
        acquireWhenEmpty: true,
        classify: () =>
          mailplugError('APP_CONSENT_REVOKED', 'user', 'Consent was revoked.', 'Sign in again.'),
      },
    );
    for (let i = 0; i < 3; i++) {
      expect((await caught(manager.getCredential({ protocol: 'smtp' }))).code).toBe('REAUTH_REQUIRED');
    }
    expect(calls).toHaveLength(1);
    expect(events.filter((e) => e.type === 'reauthRequired')).toHaveLength(1);
    expect(await manager.state()).toBe('reauthRequired');
  });

  it('after clear() the next call acquires again; without the option an empty store still needs a sign-in', async () => {
    const withOption = managerOn(createMemoryTokenStore(), async () => appToken(3), {
      acquireWhenEmpty: true,
    });
    await withOption.manager.getCredential({ protocol: 'smtp' });
    await withOption.manager.clear();
    await withOption.manager.getCredential({ protocol: 'smtp' });
    expect(withOption.calls).toEqual([undefined, undefined]);

    const without = managerOn(createMemoryTokenStore(), async () => appToken(4));
    const error = await caught(without.manager.getCredential({ protocol: 'smtp' }));
    expect([error.code, error.action]).toEqual(['SIGN_IN_REQUIRED', 'user']);
    expect(without.calls).toHaveLength(0);
    expect(await without.manager.state()).toBe('signInRequired');
  });
});

describe('createTokenManager: rotation reported by the refresh result', () => {
  it("fires changed/rotated for `rotated: true` when the library keeps the refresh token, and doesn't store the flag", async () => {
    const store = createMemoryTokenStore();
    let rotate = true;
    const { manager, events } = managerOn(store, async () => ({ ...appToken(5), rotated: rotate }));
    await manager.save({ ...appToken(1), expiresAt: T0 });
    await manager.getCredential({ protocol: 'smtp' });
    expect(events).toEqual([{ type: 'changed', accountId: 'svc', reason: 'rotated' }]);
    expect(Object.keys((await store.get('svc:tokens')) as object)).not.toContain('rotated');

    rotate = false;
    await manager.getCredential({ protocol: 'smtp', forceRefresh: true });
    expect(events[1]).toEqual({ type: 'changed', accountId: 'svc', reason: 'refreshed' });
  });
});
