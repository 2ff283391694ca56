import { describe, expect, it } from 'vitest';
import type { MailAccount } from '../accounts/account.js';
import { mailplugError } from '../errors/codes.js';
import type { AuthorizationStatus, AuthSession, SessionChange } from '../spec/v1/auth-provider.js';
import { Emitter } from '../spec/v1/disposable.js';
import { createMemoryTokenStore } from '../tokens/memory-store.js';
import { days } from './inactivity-windows.js';
import { createKeepAlive } from './keep-alive.js';

function account(id: string, provider: string): MailAccount {
  return {
    id,
    protocol: 'smtp',
    server: { host: 'smtp.example.com', port: 587, security: 'starttls' },
    auth: { provider, settings: {} },
    identity: { fromAddress: `${id}@example.com` },
    scope: { kind: 'organization' },
  };
}

function fakeSession(
  accountId: string,
  status: () => AuthorizationStatus,
  refreshes: string[],
  fail = false,
) {
  const emitter = new Emitter<SessionChange>();
  const session: AuthSession = {
    providerId: 'x',
    accountId,
    async getCredential(request) {
      if (fail) throw mailplugError('REAUTH_REQUIRED', 'user', 'dead', 'Sign in again.');
      refreshes.push(`${accountId}:${request.forceRefresh === true}`);
      return { kind: 'oauth2', user: accountId, accessToken: 'a', expiresAt: 0, scopes: [] };
    },
    checkAuthorization: async () => status(),
    signOut: async () => ({ revocation: 'nothingToRevoke' }),
    onDidChangeSession: emitter.event,
    dispose: () => emitter.dispose(),
  };
  return session;
}

describe('createKeepAlive', () => {
  it('refreshes each OAuth account once per third of its inactivity window, using an injected clock', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const refreshes: string[] = [];
    const accounts = [
      account('ms', 'm365-delegated'),
      account('google', 'gmail-oauth'),
      account('pw', 'basic'),
    ];
    const keepAlive = createKeepAlive({
      accounts: () => accounts,
      sessionFor: async (a) =>
        fakeSession(a.id, () => ({ state: 'authorized', grantedScopes: [] }), refreshes),
      tokenStore: createMemoryTokenStore(),
      now: () => clock.now,
    });
    const first = await keepAlive.runOnce();
    expect(first.accounts.map((r) => [r.accountId, r.outcome])).toEqual([
      ['ms', 'keptAlive'],
      ['google', 'keptAlive'],
      ['pw', 'notApplicable'],
    ]);
    expect(refreshes).toEqual(['ms:true', 'google:true']);
    clock.now += days(29);
    expect((await keepAlive.runOnce()).accounts.map((r) => r.outcome)).toEqual([
      'notDue',
      'notDue',
      'notApplicable',
    ]);
    clock.now += days(2); // 31 days: past a third of Microsoft's 90, not of Google's 182
    expect((await keepAlive.runOnce()).accounts.map((r) => r.outcome)).toEqual([
      'keptAlive',
      'notDue',
      'notApplicable',
    ]);
    expect(refreshes).toHaveLength(3);
    keepAlive.dispose();
  });

  it('reports a failed account with who acts, and goes on with the others', async () => {
    const refreshes: string[] = [];
    const keepAlive = createKeepAlive({
      accounts: () => [account('dead', 'm365-delegated'), account('alive', 'm365-delegated')],
      sessionFor: async (a) =>
        fakeSession(a.id, () => ({ state: 'authorized', grantedScopes: [] }), refreshes, a.id === 'dead'),
      tokenStore: createMemoryTokenStore(),
    });
    const report = await keepAlive.runOnce();
    expect(report.accounts[0]).toMatchObject({
      outcome: 'failed',
      error: { code: 'REAUTH_REQUIRED', action: 'user' },
    });
    expect(report.accounts[1]?.outcome).toBe('keptAlive');
  });

  it('announces expiringSoon once for an authorization whose end is known', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const events: SessionChange[] = [];
    const endsAt = clock.now + days(3);
    const keepAlive = createKeepAlive({
      accounts: () => [account('testing-app', 'gmail-oauth')],
      sessionFor: async (a) =>
        fakeSession(
          a.id,
          () => ({ state: 'authorized', grantedScopes: [], authorizationExpiresAt: endsAt }),
          [],
        ),
      tokenStore: createMemoryTokenStore(),
      now: () => clock.now,
    });
    keepAlive.onDidChangeSession((e) => events.push(e));
    await keepAlive.runOnce();
    await keepAlive.runOnce();
    expect(events).toEqual([
      { type: 'expiringSoon', accountId: 'testing-app', what: 'refreshToken', expiresAt: endsAt },
    ]);
  });

  it("announces an app's client secret or certificate ending, though there is no refresh token to keep alive", async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const events: SessionChange[] = [];
    const secretEnds = clock.now + days(10);
    const keepAlive = createKeepAlive({
      accounts: () => [account('service-mailbox', 'm365-app-only')],
      sessionFor: async (a) =>
        fakeSession(
          a.id,
          () => ({
            state: 'authorized',
            grantedScopes: [],
            authorizationExpiresAt: secretEnds,
            authorizationExpiresWith: 'clientSecret',
          }),
          [],
        ),
      tokenStore: createMemoryTokenStore(),
      now: () => clock.now,
    });
    keepAlive.onDidChangeSession((e) => events.push(e));
    const report = await keepAlive.runOnce();
    expect(report.accounts.map((r) => r.outcome)).toEqual(['notApplicable']);
    expect(events).toEqual([
      { type: 'expiringSoon', accountId: 'service-mailbox', what: 'clientSecret', expiresAt: secretEnds },
    ]);
  });
});
