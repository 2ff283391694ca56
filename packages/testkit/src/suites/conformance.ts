import { isMailplugError, type MailplugError } from '@mailplug/core';

/**
 * The runner's test function (vitest's or jest's `it`, node:test's `test`). Suites only call it
 * with a name and an async body, so any runner with that shape works.
 */
export type TestFunction = (name: string, body: () => Promise<void>) => unknown;

/** Thrown when a subject breaks the contract; the message says which rule and what was seen. */
export class ConformanceError extends Error {
  override readonly name = 'ConformanceError';
}

export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ConformanceError(message);
}

/** Awaits `work` and returns the MailplugError it rejects with; anything else is a conformance failure. */
export async function rejection(work: () => Promise<unknown>, what: string): Promise<MailplugError> {
  let outcome: unknown;
  try {
    await work();
  } catch (err) {
    outcome = err;
  }
  ensure(outcome !== undefined, `${what} should have failed but succeeded.`);
  ensure(
    isMailplugError(outcome),
    `${what} should fail with a MailplugError, got ${outcome instanceof Error ? `${outcome.name}: ${outcome.message}` : String(outcome)}.`,
  );
  const err = outcome as MailplugError;
  ensure(typeof err.code === 'string' && err.code.length > 0, `${what}: the MailplugError has no code.`);
  ensure(
    typeof err.hint === 'string' && err.hint.trim().length > 0,
    `${what}: the MailplugError (${err.code}) has no hint.`,
  );
  return err;
}

export async function expectCode(
  work: () => Promise<unknown>,
  code: string,
  what: string,
): Promise<MailplugError> {
  const err = await rejection(work, what);
  ensure(err.code === code, `${what} should fail with ${code}, got ${err.code}: ${err.message}`);
  return err;
}

/** Runs a hook-provided cleanup even when a check failed, without hiding the check's error. */
export async function using<T extends { dispose(): void | Promise<void> }, R>(
  subject: T | Promise<T>,
  body: (subject: T) => Promise<R>,
): Promise<R> {
  const value = await subject;
  try {
    return await body(value);
  } finally {
    await value.dispose();
  }
}

/** One named contract check, runnable on its own (that is how the suites test themselves). */
export interface Check<Subject, Options> {
  readonly name: string;
  /** Whether the check applies under these options (capability flags). */
  readonly applies?: (options: Options) => boolean;
  run(subject: Subject, options: Options): Promise<void>;
}

export interface SuiteHooks {
  setup?(): void | Promise<void>;
  teardown?(): void | Promise<void>;
}

/** Registers one test per applicable check; each test gets a fresh subject from the factory. */
export function registerChecks<Subject, Options extends SuiteHooks>(
  it: TestFunction,
  prefix: string,
  checks: readonly Check<Subject, Options>[],
  factory: () => Subject | Promise<Subject>,
  options: Options,
): void {
  for (const check of checks) {
    if (check.applies && !check.applies(options)) continue;
    it(`${prefix}: ${check.name}`, async () => {
      await options.setup?.();
      try {
        await check.run(await factory(), options);
      } finally {
        await options.teardown?.();
      }
    });
  }
}
