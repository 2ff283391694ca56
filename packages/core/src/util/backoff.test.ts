import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay } from './backoff.js';

const policy = { initialDelayMs: 500, maxDelayMs: 5_000 };

describe('backoffCeiling', () => {
  it('grows by the multiplier (default 2) from the initial delay and stops at the ceiling', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffCeiling(n, policy))).toEqual([
      500, 1_000, 2_000, 4_000, 5_000, 5_000,
    ]);
    expect([1, 2, 3].map((n) => backoffCeiling(n, { ...policy, multiplier: 3 }))).toEqual([
      500, 1_500, 4_500,
    ]);
  });

  it('treats attempts below 1 as the first and survives exponents that overflow', () => {
    expect(backoffCeiling(0, policy)).toBe(500);
    expect(backoffCeiling(-3, policy)).toBe(500);
    expect(backoffCeiling(5_000, policy)).toBe(5_000);
    expect(backoffCeiling(Number.MAX_SAFE_INTEGER, { ...policy, multiplier: 10 })).toBe(5_000);
  });
});

describe('backoffDelay', () => {
  it('full jitter by default: random 0 waits nothing, random → 1 waits just under the step', () => {
    expect([1, 2, 3].map((n) => backoffDelay(n, policy, () => 0))).toEqual([0, 0, 0]);
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0.999_999))).toEqual([
      499, 999, 1_999, 3_999, 4_999, 4_999,
    ]);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(1_000);
  });

  it('partial jitter only randomises that fraction of the step', () => {
    const half = { ...policy, jitter: 0.5 };
    expect([1, 2, 5].map((n) => backoffDelay(n, half, () => 0))).toEqual([250, 500, 2_500]);
    expect([1, 2, 5].map((n) => backoffDelay(n, half, () => 0.999_999))).toEqual([499, 999, 4_999]);
  });

  it('jitter 0 is deterministic: exactly the capped step', () => {
    const none = { ...policy, jitter: 0 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, none, () => 0.7))).toEqual([
      500, 1_000, 2_000, 4_000, 5_000,
    ]);
  });

  it('never leaves [0, maxDelayMs], even with a misbehaving random source or out-of-range jitter', () => {
    const sources = [() => -1, () => 1, () => 7, () => Number.NaN, Math.random];
    const jitters = [-0.5, 0, 0.3, 1, 2, undefined];
    for (const random of sources)
      for (const jitter of jitters)
        for (let attempt = 1; attempt <= 40; attempt++) {
          const delay = backoffDelay(
            attempt,
            { ...policy, ...(jitter === undefined ? {} : { jitter }) },
            random,
          );
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(policy.maxDelayMs);
        }
    // A source returning 1 must not make a fully jittered delay reach the step.
    expect(backoffDelay(1, policy, () => 1)).toBe(499);
  });

  it('uses Math.random when no source is given', () => {
    const delays = Array.from({ length: 200 }, () => backoffDelay(4, policy));
    expect(delays.every((d) => d >= 0 && d < 4_000)).toBe(true);
    // 200 draws from [0, 4000) are not all the same value.
    expect(new Set(delays).size).toBeGreaterThan(1);
  });
});
