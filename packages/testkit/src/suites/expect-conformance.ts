/** Test-only helpers shared by the suites' own negative tests. Not exported from the package. */
import { expect } from 'vitest';
import { ConformanceError } from './conformance.js';

/** Awaits a check and asserts it failed with a ConformanceError whose message matches `pattern`. */
export async function failsWith(work: Promise<void>, pattern: RegExp): Promise<void> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConformanceError);
  expect((err as Error).message).toMatch(pattern);
}
