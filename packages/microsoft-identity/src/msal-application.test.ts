import { describe, expect, it } from 'vitest';
import { accessTokenExpiresAt, lazyClientApplication } from './msal-application.js';

describe('lazyClientApplication', () => {
  it('builds once, retries after a failed build, and builds afresh after reset', async () => {
    let builds = 0;
    let failNext = true;
    const app = lazyClientApplication(async () => {
      builds += 1;
      if (failNext) {
        failNext = false;
        throw new Error('secret missing');
      }
      return { build: builds };
    });
    await expect(app.get()).rejects.toThrow('secret missing');
    const first = await app.get();
    expect(await app.get()).toBe(first);
    app.reset();
    expect(await app.get()).not.toBe(first);
    expect(builds).toBe(3);
  });
});

describe('accessTokenExpiresAt', () => {
  it("re-bases msal's wall-clock expiresOn on the session clock", () => {
    const inAnHour = new Date(Date.now() + 3_600_000);
    const sessionNow = () => 1_000;
    const expiresAt = accessTokenExpiresAt({ expiresOn: inAnHour }, sessionNow);
    expect(expiresAt).toBeGreaterThan(1_000 + 3_590_000);
    expect(expiresAt).toBeLessThanOrEqual(1_000 + 3_600_000);
    expect(accessTokenExpiresAt({ expiresOn: null }, sessionNow)).toBe(1_000 + 3_600_000);
  });
});
