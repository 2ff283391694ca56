/**
 * Fault matrix, Google (gmail-oauth signed in, service account): each injected shape × provider × first call / within msal's
 * throttle window must end as a MailplugError with action `retry` (with Retry-After when sent),
 * within the configured deadline, and "Check Authorization" must say `temporarilyUnavailable`.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import { type Bed, startBed } from './support/bed.js';
import { cellsFor, runCell } from './support/fault-matrix.js';

let bed: Bed;
beforeAll(async () => {
  bed = await startBed();
});
afterAll(async () => {
  await bed?.stop();
});

let accounts = 0;
describe('fault matrix', () => {
  test.each(cellsFor(['gmail-oauth', 'google-service-account']))(
    '$provider × $shape.name × $phase',
    async (cell) => {
      accounts += 1;
      await runCell(bed, cell, `google-${accounts}`);
    },
  );
});
