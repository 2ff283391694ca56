/**
 * Fault matrix, Microsoft (delegated signed in, app-only): each injected shape × provider × first call / within msal's
 * throttle window must end as a MailplugError with action `retry` (with Retry-After when sent),
 * within the configured deadline, and "Check Authorization" must say `temporarilyUnavailable`.
 */
import { ConfidentialClientApplication } from '@azure/msal-node';
import { buildMsalConfiguration, classifyEntraError } from '@mailplug/microsoft-identity';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Bed, DEADLINES, startBed, tokenRequests } from './support/bed.js';
import { cellsFor, expectTransient, FAULT_SHAPES, failure, runCell } from './support/fault-matrix.js';

let bed: Bed;
beforeAll(async () => {
  bed = await startBed();
});
afterAll(async () => {
  await bed?.stop();
});

let accounts = 0;
describe('fault matrix', () => {
  test.each(cellsFor(['m365-delegated', 'm365-app-only']))(
    '$provider × $shape.name × $phase',
    async (cell) => {
      accounts += 1;
      await runCell(bed, cell, `microsoft-${accounts}`);
    },
  );
});

/**
 * msal-node itself remembers a 429/5xx per request and, inside Retry-After (or 60 s), fails the
 * same request locally: a ServerError whose code is the cached AADSTS numbers or empty, with no
 * HTTP status. An application built with Mailplug's msal configuration (the network client and the
 * Entra table) must still classify that replay as an outage.
 */
describe("msal-node's own throttle replay", () => {
  const replayed = FAULT_SHAPES.filter((shape) => shape.throttledByMsal);
  test.each(replayed)('msal application × $name × replayed inside the window', async (shape) => {
    const preset = bed.emulator.settings['m365-app-only'];
    const secret = Object.values(preset.secrets)[0];
    const app = new ConfidentialClientApplication(
      buildMsalConfiguration({
        clientId: String(preset.settings.clientId),
        tenant: String(preset.settings.tenant),
        authorityHost: String(preset.settings.authorityHost),
        ca: bed.emulator.caCertPem,
        ...(secret ? { clientSecret: secret } : {}),
        timeoutMs: DEADLINES.requestTimeoutMs,
      }),
    );
    // Only the first request fails: a second one that reached the emulator would succeed.
    const handle = bed.emulator.inject.microsoft({
      ...shape.fault,
      endpoint: 'token',
      grant: 'client_credentials',
      times: 1,
    } as never);
    const acquire = () =>
      app
        .acquireTokenByClientCredential({ scopes: [String(preset.settings.scope)], skipCache: true })
        .catch((error: unknown) => {
          throw classifyEntraError(error, { flow: 'appOnly' });
        });
    const cell = { provider: 'm365-app-only' as const, shape, phase: 'first call' as const };
    expectTransient(cell, await failure(acquire()), 'first request');
    const before = tokenRequests(bed.emulator);
    const second = await failure(acquire());
    expect(tokenRequests(bed.emulator), 'msal answered from its throttling cache').toBe(before);
    expectTransient({ ...cell, phase: 'within the throttle window' }, second, 'replayed request');
    handle.remove();
  });
});
