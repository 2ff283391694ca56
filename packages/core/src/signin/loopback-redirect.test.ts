import { describe, expect, it } from 'vitest';
import { isMailplugError } from '../spec/v1/mailplug-error.js';
import { startLoopbackRedirect } from './loopback-redirect.js';

describe('startLoopbackRedirect', () => {
  it('serves an ephemeral loopback redirect URI and hands back the callback parameters', async () => {
    const lb = await startLoopbackRedirect();
    expect(lb.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const res = await fetch(`${lb.redirectUri}?code=abc&state=xyz`);
    expect(res.status).toBe(200);
    await expect(lb.waitForCallback()).resolves.toEqual({ code: 'abc', state: 'xyz' });
    await lb.close();
    await expect(fetch(lb.redirectUri)).rejects.toThrow();
  });

  it('ignores other paths', async () => {
    const lb = await startLoopbackRedirect({ path: '/oauth' });
    const res = await fetch(lb.redirectUri.replace('/oauth', '/favicon.ico'));
    expect(res.status).toBe(404);
    await lb.close();
  });

  it('refuses a non-loopback host', async () => {
    const err = await startLoopbackRedirect({ host: '0.0.0.0' }).catch((e: unknown) => e);
    expect(isMailplugError(err) && err.code).toBe('CONFIG_INVALID');
  });

  it('times out with a user-facing error', async () => {
    const lb = await startLoopbackRedirect({ timeoutMs: 20 });
    const err = await lb.waitForCallback().catch((e: unknown) => e);
    expect(isMailplugError(err) && err.code).toBe('TIMEOUT');
    await lb.close();
  });
});
