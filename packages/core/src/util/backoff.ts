/**
 * Exponential backoff with jitter and a ceiling: the one implementation behind every Mailplug retry
 * loop (token refreshes in the TokenManager, reconnects in protocol supervisors), so that a flaky
 * identity provider or mail server is never hammered in lockstep by many clients at once.
 */

/** How the delay before each retry grows. */
export interface BackoffPolicy {
  /** The step before the first retry (attempt 1), before jitter. */
  readonly initialDelayMs: number;
  /** Ceiling: no step grows past this, so no delay ever exceeds it. */
  readonly maxDelayMs: number;
  /** Growth of the step per attempt. Default 2. */
  readonly multiplier?: number;
  /**
   * Fraction of each step that is randomised, 0..1. Default 1 ("full jitter": the delay is anywhere
   * in `[0, step)`); 0.5 keeps it in `[step / 2, step)`; 0 makes it exactly the step.
   */
  readonly jitter?: number;
}

const clamp01 = (value: number) => (Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0);

/**
 * The capped step before retry `attempt` (1 = after the first failure), without jitter:
 * `min(maxDelayMs, initialDelayMs × multiplier^(attempt − 1))`.
 *
 * @example
 * backoffCeiling(3, { initialDelayMs: 500, maxDelayMs: 30_000 }); // 2000
 */
export function backoffCeiling(attempt: number, policy: BackoffPolicy): number {
  const multiplier = policy.multiplier ?? 2;
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const step = policy.initialDelayMs * multiplier ** exponent;
  // `step` overflows to Infinity after enough attempts; the ceiling still holds.
  return Math.max(0, Math.min(policy.maxDelayMs, Number.isFinite(step) ? step : policy.maxDelayMs));
}

/**
 * Milliseconds to wait before retry `attempt` (1 = after the first failure): the capped exponential
 * step of {@link backoffCeiling}, of which the `jitter` fraction is randomised —
 * `floor(step × (1 − jitter + jitter × random()))`. With the default full jitter that is
 * `floor(random() × step)`; the result is always in `[0, maxDelayMs]`.
 *
 * @param random A source of numbers in [0, 1); inject a fixed one in tests. Default `Math.random`.
 * @example
 * const policy = { initialDelayMs: 1_000, maxDelayMs: 5 * 60_000, jitter: 0.5 };
 * for (let attempt = 1; ; attempt++) {
 *   try { return await connect(); }
 *   catch { await sleep(backoffDelay(attempt, policy)); } // 500–1000 ms, 1–2 s, 2–4 s, … ≤ 5 min
 * }
 */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const step = backoffCeiling(attempt, policy);
  const jitter = clamp01(policy.jitter ?? 1);
  // A source that returns 1 (or more) must not push a fully jittered delay up to the step itself.
  const draw = Math.min(clamp01(random()), 1 - Number.EPSILON);
  return Math.floor(step * (1 - jitter + jitter * draw));
}
