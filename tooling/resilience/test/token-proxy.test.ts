/**
 * Token, revocation and signing-key requests of every OAuth provider through a real HTTP proxy
 * (Debian's tinyproxy on loopback): the explicit `proxy` option and `HTTPS_PROXY` tunnel every
 * request the emulator serves (one CONNECT per request, TLS still verified against the emulator's
 * CA inside the tunnel), and `NO_PROXY` / `noProxy` / `proxy: false` bypass it.
 */
import { type AuthSession, createMemoryTokenStore, isMailplugError } from '@mailplug/core';
import { startTinyproxyTestServer, type TinyproxyTestServer } from '@mailplug/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  type Bed,
  DEADLINES,
  followAuthorize,
  PROVIDERS,
  type ProviderId,
  providerFor,
  startBed,
  TOKEN_GRANT,
  type UniformOptions,
} from './support/bed.js';

let bed: Bed;
let proxy: TinyproxyTestServer;
beforeAll(async () => {
  [bed, proxy] = await Promise.all([startBed(), startTinyproxyTestServer()]);
});
afterAll(async () => {
  await Promise.all([bed?.stop(), proxy?.stop()]);
});

const PROXY_ENV = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];
const savedEnv = Object.fromEntries(PROXY_ENV.map((name) => [name, process.env[name]]));
afterEach(() => {
  for (const name of PROXY_ENV) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});

let accounts = 0;
function sessionOf(provider: ProviderId, options: UniformOptions): AuthSession {
  return providerFor(provider, { ...DEADLINES, ...options }).createSession({
    accountId: `proxied-${++accounts}`,
    settings: bed.settingsFor(provider),
    secrets: bed.secrets,
    tokenStore: createMemoryTokenStore(),
  });
}

/** What the emulator served over https and what tinyproxy tunnelled while `step` ran. */
async function traffic(step: () => Promise<unknown>): Promise<{ served: number; tunnelled: string[] }> {
  const servedBefore = bed.emulator.requests.filter((r) => r.secure).length;
  const tunnelledBefore = (await proxy.connectRequests()).length;
  await step();
  return {
    served: bed.emulator.requests.filter((r) => r.secure).length - servedBefore,
    tunnelled: (await proxy.connectRequests()).slice(tunnelledBefore),
  };
}

/** Every step that talks to the identity platform: code exchange, refresh, revocation. */
async function identitySteps(session: AuthSession) {
  const steps: { name: string; run: () => Promise<unknown> }[] = [];
  if (session.interactive) {
    const interactive = session.interactive;
    const start = await interactive.begin();
    // The browser's authorize request is not the library's: it goes direct, outside the steps.
    const callback = await followAuthorize(start.url, bed.emulator.caCertPem);
    steps.push({ name: 'sign-in (code exchange, ID token keys)', run: () => interactive.complete(callback) });
  }
  steps.push({
    name: 'token refresh',
    run: () => session.getCredential({ protocol: 'smtp', forceRefresh: true }),
  });
  // Only Google revokes at sign-out (Microsoft has no revocation endpoint for these flows).
  if (session.providerId === 'gmail-oauth') {
    steps.push({ name: 'sign-out (revocation)', run: () => session.signOut() });
  }
  return steps;
}

const emulatorHost = () => `127.0.0.1:${bed.emulator.ports.https}`;

describe('token requests through an HTTP CONNECT proxy', () => {
  const modes = [
    { mode: 'the proxy option', env: {}, options: (): UniformOptions => ({ proxy: proxy.url }) },
    { mode: 'HTTPS_PROXY', env: { HTTPS_PROXY: 'url' }, options: (): UniformOptions => ({}) },
    {
      mode: 'http_proxy (lower case, for https too)',
      env: { http_proxy: 'url' },
      options: (): UniformOptions => ({}),
    },
  ];
  const cases = PROVIDERS.flatMap((provider) => modes.map((m) => ({ provider, ...m })));
  test.each(cases)('$provider via $mode: every request is tunnelled', async ({ provider, env, options }) => {
    for (const [name] of Object.entries(env)) process.env[name] = proxy.url;
    const session = sessionOf(provider, options());
    for (const step of await identitySteps(session)) {
      const { served, tunnelled } = await traffic(step.run);
      expect(served, `${step.name}: requests served`).toBeGreaterThan(0);
      // keepAlive is off, so one CONNECT per request: nothing reached the emulator around the proxy.
      expect(tunnelled, `${step.name}: CONNECTs`).toEqual(Array(served).fill(emulatorHost()));
    }
    session.dispose();
  });
});

describe('bypassing the proxy', () => {
  const modes: { mode: string; env: Record<string, string>; options: () => UniformOptions }[] = [
    { mode: 'NO_PROXY', env: { HTTPS_PROXY: 'url', NO_PROXY: 'localhost,127.0.0.1' }, options: () => ({}) },
    {
      mode: 'NO_PROXY with a CIDR range',
      env: { HTTPS_PROXY: 'url', NO_PROXY: '10.0.0.0/8, 127.0.0.0/8' },
      options: () => ({}),
    },
    { mode: 'the noProxy option', env: {}, options: () => ({ proxy: proxy.url, noProxy: '127.0.0.1' }) },
    { mode: 'proxy: false over HTTPS_PROXY', env: { HTTPS_PROXY: 'url' }, options: () => ({ proxy: false }) },
  ];
  const cases = PROVIDERS.flatMap((provider) => modes.map((m) => ({ provider, ...m })));
  test.each(cases)('$provider with $mode: nothing is tunnelled', async ({ provider, env, options }) => {
    for (const [name, value] of Object.entries(env)) process.env[name] = value === 'url' ? proxy.url : value;
    const session = sessionOf(provider, options());
    for (const step of await identitySteps(session)) {
      const { served, tunnelled } = await traffic(step.run);
      expect(served, `${step.name}: requests served`).toBeGreaterThan(0);
      expect(tunnelled, `${step.name}: CONNECTs`).toEqual([]);
    }
    session.dispose();
  });
});

describe('deadlines hold through the proxy', () => {
  test.each(PROVIDERS)(
    '%s: a black hole behind the proxy ends as retry within the deadline',
    async (provider) => {
      const session = sessionOf(provider, { proxy: proxy.url });
      if (session.interactive) {
        const start = await session.interactive.begin();
        await session.interactive.complete(await followAuthorize(start.url, bed.emulator.caCertPem));
      }
      const { platform, grant } = TOKEN_GRANT[provider];
      const spec = { blackHole: true, endpoint: 'token', grant, times: Number.POSITIVE_INFINITY } as never;
      const handle =
        platform === 'google' ? bed.emulator.inject.google(spec) : bed.emulator.inject.microsoft(spec);
      const started = Date.now();
      const error = await session
        .getCredential({ protocol: 'smtp', forceRefresh: true })
        .catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      handle.remove();
      expect(isMailplugError(error) && error.action).toBe('retry');
      expect(elapsed).toBeLessThan(DEADLINES.retry.maxTotalMs);
      session.dispose();
    },
  );
});
