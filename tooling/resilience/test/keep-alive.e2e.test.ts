/**
 * Keep-alive end to end: core's `createKeepAlive` with an injected clock over real Gmail and
 * Microsoft 365 delegated accounts signed in against the emulator. It refreshes each account once a
 * third of its provider's inactivity window has passed, the rotated refresh token is persisted (a
 * restarted host, with fresh sessions on the same store, still refreshes), and `expiringSoon`
 * announces the ends that can be predicted: a Google app in Testing mode (7 days after sign-in) and
 * an app-only client secret near its expiry date.
 */
import {
  createKeepAlive,
  GOOGLE_TESTING_MODE_REFRESH_TOKEN_LIFETIME_MS,
  type MailAccount,
  type SessionChange,
} from '@mailplug/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bed, DEADLINES, startBed, tokenRequests } from './support/bed.js';

const days = (n: number) => n * 24 * 60 * 60_000;

let bed: Bed;
beforeAll(async () => {
  // Both platforms rotate refresh tokens here, so "persisted" is tested for both: a used refresh
  // token is refused (Microsoft always; Google with googleRotatesRefreshTokens).
  bed = await startBed({
    providerOptions: DEADLINES,
    emulator: { identity: { googleRotatesRefreshTokens: true } },
  });
});
afterAll(async () => {
  await bed?.stop();
});

describe('createKeepAlive against the emulator', () => {
  it('refreshes idle accounts on schedule, persists the rotated tokens, and warns before known ends', async () => {
    const signedInAt = Date.now();
    const gmail = await bed.account('gmail-oauth', 'ka-gmail', { testingMode: true });
    const microsoft = await bed.account('m365-delegated', 'ka-m365');
    const secretEnds = new Date(signedInAt + days(10)).toISOString().slice(0, 10);
    const appOnly = await bed.account('m365-app-only', 'ka-app', { secretExpiresOn: secretEnds });
    const accounts: MailAccount[] = [gmail, microsoft, appOnly];

    const clock = { now: signedInAt };
    const announced: SessionChange[] = [];
    const keepAlive = createKeepAlive({
      accounts: () => accounts,
      sessionFor: (account) => bed.mailer.sessionFor(account),
      tokenStore: bed.tokenStore,
      now: () => clock.now,
    });
    keepAlive.onDidChangeSession((change) => announced.push(change));
    const outcomes = async () => {
      const before = tokenRequests(bed.emulator);
      const report = await keepAlive.runOnce();
      return {
        outcomes: Object.fromEntries(report.accounts.map((r) => [r.accountId, r.outcome])),
        refreshes: tokenRequests(bed.emulator) - before,
      };
    };

    // First run: both OAuth accounts are due (never kept alive); app-only has no refresh token to
    // keep alive, but its Check Authorization acquires its first token (client credentials), which
    // tells the scheduler when its client secret ends. (The signed-in accounts' access tokens are
    // still fresh, so their checks request nothing.)
    expect(await outcomes()).toEqual({
      outcomes: { 'ka-gmail': 'keptAlive', 'ka-m365': 'keptAlive', 'ka-app': 'notApplicable' },
      refreshes: 3,
    });
    // The app's client secret ends in 10 days: the scheduler says so, once, with what ends.
    expect(announced.filter((c) => c.type === 'expiringSoon' && c.accountId === 'ka-app')).toEqual([
      {
        type: 'expiringSoon',
        accountId: 'ka-app',
        what: 'clientSecret',
        expiresAt: Date.parse(`${secretEnds}T00:00:00Z`),
      },
    ]);
    // The Testing-mode app's sign-in ends 7 days after it was given: announced now, once.
    const testingEnd = announced.find((c) => c.type === 'expiringSoon' && c.accountId === 'ka-gmail');
    expect(testingEnd).toMatchObject({ type: 'expiringSoon', what: 'refreshToken' });
    const endsAt = (testingEnd as { expiresAt: number }).expiresAt;
    expect(endsAt - GOOGLE_TESTING_MODE_REFRESH_TOKEN_LIFETIME_MS).toBeGreaterThanOrEqual(signedInAt);
    expect(endsAt - GOOGLE_TESTING_MODE_REFRESH_TOKEN_LIFETIME_MS).toBeLessThanOrEqual(Date.now());

    // 29 days later nothing is due: Microsoft's window is 90 days, Google's 182 (a third of each).
    clock.now += days(29);
    expect(await outcomes()).toEqual({
      outcomes: { 'ka-gmail': 'notDue', 'ka-m365': 'notDue', 'ka-app': 'notApplicable' },
      refreshes: 0,
    });
    // 31 days: past a third of Microsoft's 90, not of Google's 182.
    clock.now += days(2);
    expect(await outcomes()).toEqual({
      outcomes: { 'ka-gmail': 'notDue', 'ka-m365': 'keptAlive', 'ka-app': 'notApplicable' },
      refreshes: 1,
    });
    // 61 days: Google's third (60.7 days) has passed too, and Microsoft's next third.
    clock.now += days(30);
    expect(await outcomes()).toEqual({
      outcomes: { 'ka-gmail': 'keptAlive', 'ka-m365': 'keptAlive', 'ka-app': 'notApplicable' },
      refreshes: 2,
    });
    expect(announced.filter((c) => c.type === 'expiringSoon' && c.accountId === 'ka-gmail')).toHaveLength(1);
    keepAlive.dispose();

    // A restarted host: fresh sessions on the same token store refresh with the persisted, rotated
    // refresh tokens (the ones each keep-alive refresh replaced are refused by the emulator).
    const restarted = bed.newMailer();
    for (const account of [gmail, microsoft]) {
      const credential = await (await restarted.sessionFor(account)).getCredential({
        protocol: 'smtp',
        forceRefresh: true,
      });
      if (credential.kind !== 'oauth2') throw new Error('an OAuth account hands out oauth2 credentials');
      expect(credential.user).toBe('alice@contoso.test');
      const info = await bed.emulator.identity.validateAccessToken(credential.accessToken);
      expect(info.active).toBe(true);
    }
    await restarted.dispose();
  });

  it('announces an app-only client secret near its expiry, and Check Authorization reports the date', async () => {
    const ends = new Date(Date.now() + days(10)).toISOString().slice(0, 10);
    const account = await bed.account('m365-app-only', 'ka-app-secret', { secretExpiresOn: ends });
    const session = await bed.mailer.sessionFor(account);
    const changes: SessionChange[] = [];
    session.onDidChangeSession((change) => changes.push(change));
    await session.getCredential({ protocol: 'smtp' });
    const expiresAt = Date.parse(`${ends}T00:00:00Z`);
    expect(changes).toContainEqual({
      type: 'expiringSoon',
      accountId: 'ka-app-secret',
      what: 'clientSecret',
      expiresAt,
    });
    const status = await session.checkAuthorization();
    expect(status).toMatchObject({ state: 'authorized', authorizationExpiresAt: expiresAt });
  });
});
