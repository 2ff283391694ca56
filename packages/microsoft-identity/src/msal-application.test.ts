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
  it("reads msal's expiresOn", () => {
    expect(accessTokenExpiresAt({ expiresOn: new Date(1_700_000_000_000) })).toBe(1_700_000_000_000);
  });
});
