import { describe, expect, it } from 'vitest';
import { mailplugError } from '../errors/codes.js';
import { createMemorySecretStore } from '../secrets/index.js';
import type { SessionChange } from '../spec/v1/auth-provider.js';
import { createMemoryTokenStore } from '../tokens/memory-store.js';
import type { TokenSet } from '../tokens/token-manager.js';
import { transientNetworkCodeOf } from './network-failure.js';
import { assertProtocolServed } from './protocol-guard.js';
import { expiryOnSessionClock } from './token-expiry.js';
import { identityFromTokenSet, identityTokenExtra } from './token-identity.js';
import { createTokenSession } from './token-session.js';

const HOUR = 3_600_000;

function setup(refresh: (current: TokenSet | undefined) => Promise<TokenSet>, acquireWhenEmpty = false) {
  let clock = 1_000_000_000;
  const tokenStore = createMemoryTokenStore();
  const session = createTokenSession(
    { accountId: 'acct', settings: {}, secrets: createMemorySecretStore(), tokenStore, now: () => clock },
    { refresh, acquireWhenEmpty, retry: { attempts: 1 } },
  );
  const changes: SessionChange[] = [];
  session.onDidChangeSession((c) => changes.push(c));
  const probe = () => session.tokens.getCredential({ protocol: 'smtp' });
  return { session, tokenStore, changes, probe, advance: (ms: number) => (clock += ms), now: () => clock };
}

const identity = { mailbox: 'ann@example.test', subject: 'sub-1', displayName: 'Ann', tenantId: 'contoso' };

describe('createTokenSession', () => {
  it('reports signInRequired before anyone signed in, then authorized with the stored identity', async () => {
    const { session, changes, probe, now } = setup(async (current) => ({
      ...(current as TokenSet),
      accessToken: 'b',
    }));
    expect(await session.checkAuthorization({ probe })).toEqual({
      state: 'signInRequired',
      grantedScopes: [],
    });
    await session.tokens.save({
      accessToken: 'a',
      expiresAt: now() + HOUR,
      refreshToken: 'r',
      refreshTokenExpiresAt: now() + 90 * 24 * HOUR,
      scopes: ['mail'],
      user: identity.mailbox,
      extra: identityTokenExtra(identity),
    });
    session.signedIn(identity);
    expect(await session.checkAuthorization({ probe })).toEqual({
      state: 'authorized',
      identity,
      grantedScopes: ['mail'],
      accessTokenExpiresAt: now() + HOUR,
      authorizationExpiresAt: now() + 90 * 24 * HOUR,
    });
    expect(changes).toEqual([{ type: 'added', accountId: 'acct', identity }]);
    session.dispose();
  });

  it('maps a failed live check through authorizationStateFor: an outage is temporarilyUnavailable', async () => {
    let fail: 'retry' | 'admin' = 'retry';
    const { session, probe, advance, now } = setup(async () => {
      throw mailplugError('X', fail, 'Identity platform says no.', 'Try the fix.');
    });
    await session.tokens.save({
      accessToken: 'a',
      expiresAt: now() + HOUR,
      refreshToken: 'r',
      scopes: ['mail'],
      user: 'ann@example.test',
    });
    advance(2 * HOUR);
    const outage = await session.checkAuthorization({ probe });
    expect(outage).toMatchObject({
      state: 'temporarilyUnavailable',
      grantedScopes: ['mail'],
      error: { code: 'TRANSIENT', action: 'retry' },
    });
    expect(outage.identity).toEqual({ mailbox: 'ann@example.test' });
    fail = 'admin';
    expect((await session.checkAuthorization({ probe })).state).toBe('misconfigured');
    session.dispose();
  });

  it('app-only: acquires on the live check and uses the given identity and expiry', async () => {
    const { session, probe, now } = setup(
      async () => ({
        accessToken: 'app',
        expiresAt: now() + HOUR,
        scopes: ['.default'],
        user: 'svc@example.test',
      }),
      true,
    );
    const status = await session.checkAuthorization({
      probe,
      identity: () => ({ mailbox: 'svc@example.test', tenantId: 't' }),
      authorizationExpiresAt: 42,
    });
    expect(status).toMatchObject({
      state: 'authorized',
      identity: { mailbox: 'svc@example.test', tenantId: 't' },
      grantedScopes: ['.default'],
      authorizationExpiresAt: 42,
    });
    session.dispose();
  });

  it('signOut revokes with the stored tokens, forgets every key of the account and fires removed', async () => {
    const { session, tokenStore, changes, now } = setup(async (c) => c as TokenSet);
    await expect(session.signOut(async () => ({ revocation: 'revoked' }))).resolves.toEqual({
      revocation: 'nothingToRevoke',
    });
    await session.tokens.save({
      accessToken: 'a',
      expiresAt: now() + HOUR,
      refreshToken: 'r',
      scopes: [],
      user: 'u',
    });
    await tokenStore.set('acct:msal-cache', '{}');
    await tokenStore.set('acct-2:tokens', 'kept');
    const seen: string[] = [];
    const result = await session.signOut(async (stored) => {
      seen.push(stored.refreshToken ?? '');
      throw mailplugError(
        'REVOKE_FAILED',
        'retry',
        'Revocation endpoint down.',
        'Nothing to do; the local sign-in is gone.',
      );
    });
    expect(seen).toEqual(['r']);
    expect(result).toMatchObject({ revocation: 'failed', error: { code: 'REVOKE_FAILED' } });
    expect(await tokenStore.get('acct:tokens')).toBeUndefined();
    expect(await tokenStore.get('acct:msal-cache')).toBeUndefined();
    expect(await tokenStore.get('acct-2:tokens')).toBe('kept');
    expect(changes.filter((c) => c.type === 'removed')).toHaveLength(2);

    await session.tokens.save({ accessToken: 'a', expiresAt: now() + HOUR, scopes: [], user: 'u' });
    await expect(session.signOut()).resolves.toEqual({ revocation: 'unsupported' });
    session.dispose();
  });

  it('dispose stops forwarding the manager’s changes', async () => {
    const { session, changes } = setup(async (c) => c as TokenSet);
    session.dispose();
    session.signedIn(identity);
    expect(changes).toEqual([]);
  });
});

describe('identity in token sets and the protocol guard', () => {
  it('round-trips an identity through the token set extra', () => {
    expect(identityFromTokenSet({ user: identity.mailbox, extra: identityTokenExtra(identity) })).toEqual(
      identity,
    );
    expect(identityFromTokenSet({ user: 'x@example.test' })).toEqual({ mailbox: 'x@example.test' });
  });

  it('refuses a protocol the credential cannot serve with one code and action', () => {
    expect(() => assertProtocolServed('smtp', { accountId: 'a', served: ['smtp', 'imap'] })).not.toThrow();
    expect(() => assertProtocolServed('pop3', { accountId: 'a', served: ['smtp'] })).toThrow(
      expect.objectContaining({ code: 'PROTOCOL_MISMATCH', action: 'admin' }),
    );
    expect(() =>
      assertProtocolServed('imap', { accountId: 'a', served: ['smtp'], hint: 'Turn off "Send only".' }),
    ).toThrow(expect.objectContaining({ hint: 'Turn off "Send only".' }));
  });
});

describe('expiryOnSessionClock', () => {
  it("re-bases a wall-clock expiry on the session's clock", () => {
    const sessionNow = () => 5_000;
    expect(expiryOnSessionClock(Date.now() + 60_000, sessionNow)).toBeGreaterThan(5_000 + 59_000);
    expect(expiryOnSessionClock(Date.now() + 60_000, sessionNow)).toBeLessThanOrEqual(5_000 + 60_000);
    expect(expiryOnSessionClock(undefined, sessionNow)).toBe(5_000 + 3_600_000);
    expect(expiryOnSessionClock(Date.now() - 10, sessionNow)).toBe(5_000);
  });
});

describe('transientNetworkCodeOf', () => {
  it('finds a network code on the error or its causes, and nothing else', () => {
    expect(transientNetworkCodeOf(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(
      transientNetworkCodeOf(
        new Error('outer', { cause: Object.assign(new Error('inner'), { code: 'UND_ERR_SOCKET' }) }),
      ),
    ).toBe('UND_ERR_SOCKET');
    expect(transientNetworkCodeOf({ errorCode: 'ETIMEDOUT' })).toBe('ETIMEDOUT');
    expect(
      transientNetworkCodeOf(Object.assign(new Error('x'), { code: 'CERT_HAS_EXPIRED' })),
    ).toBeUndefined();
    expect(transientNetworkCodeOf('ECONNRESET')).toBeUndefined();
  });
});
