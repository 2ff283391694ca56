import { inspect } from 'node:util';
import { isMailplugError, type MailplugError } from '@mailplug/core';

/**
 * The runner's test function (vitest's or jest's `it`, node:test's `test`). Suites only call it
 * with a name and an async body, so any runner with that shape works.
 */
export type TestFunction = (name: string, body: () => Promise<void>) => unknown;

/**
 * Thrown when a subject breaks the contract; the message says which rule and what was seen. An
 * error the subject threw is described in the message (code, action, hint and its cause chain),
 * not attached as `cause`, so every runner prints it in full.
 */
export class ConformanceError extends Error {
  override readonly name = 'ConformanceError';
}

export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ConformanceError(message);
}

/**
 * One line per error in a cause chain: `MailplugError [CODE] (action): message — hint`, then
 * `caused by ...`. Safe on anything (plain objects, null-prototype objects, strings).
 */
export function describeError(error: unknown): string {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 6; depth++) {
    if (seen.has(current)) break;
    seen.add(current);
    lines.push(`${depth === 0 ? '' : 'caused by '}${describeOne(current)}`);
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
  }
  return lines.join('\n  ');
}

function describeOne(value: unknown): string {
  if (isMailplugError(value)) {
    return `MailplugError [${value.code}] (${value.action}): ${value.message} — ${value.hint}`;
  }
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'object' && value !== null) {
    const { name, message } = value as { name?: unknown; message?: unknown };
    if (typeof message === 'string') return `${typeof name === 'string' ? name : 'Error'}: ${message}`;
    return inspect(value, { depth: 2, breakLength: Number.POSITIVE_INFINITY });
  }
  return String(value);
}

/** Awaits `work` and returns the MailplugError it rejects with; anything else is a conformance failure. */
export async function rejection(work: () => Promise<unknown>, what: string): Promise<MailplugError> {
  let failed = false;
  let outcome: unknown;
  try {
    await work();
  } catch (err) {
    failed = true;
    outcome = err;
  }
  ensure(failed, `${what} should have failed but succeeded.`);
  ensure(isMailplugError(outcome), `${what} should fail with a MailplugError, got ${describeError(outcome)}`);
  ensure(
    typeof outcome.code === 'string' && outcome.code.length > 0,
    `${what}: the MailplugError has no code.`,
  );
  ensure(
    typeof outcome.hint === 'string' && outcome.hint.trim().length > 0,
    `${what}: the MailplugError (${outcome.code}) has no hint naming the fix.`,
  );
  return outcome;
}

export async function expectCode(
  work: () => Promise<unknown>,
  code: string,
  what: string,
): Promise<MailplugError> {
  const err = await rejection(work, what);
  ensure(err.code === code, `${what} should fail with ${code}, got ${describeError(err)}`);
  return err;
}

/** Awaits `work`; a rejection becomes a ConformanceError that says what was attempted and why it failed. */
export async function succeeds<T>(work: () => Promise<T> | T, what: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ConformanceError) throw error;
    throw new ConformanceError(`${what} failed: ${describeError(error)}`);
  }
}

export interface SuiteHooks {
  /** Runs before every check (after the suite's own setup). */
  setup?(): void | Promise<void>;
  /** Runs after every check, also when it failed. */
  teardown?(): void | Promise<void>;
}

/** One named contract check, runnable on its own (that is how the suites test themselves). */
export interface Check<Context> {
  /** Stable id, used in `optOut` and by `run…Check`. */
  readonly id: string;
  /** What the check asserts; the test name. */
  readonly name: string;
  /** Lifecycle checks may be opted out of with a reason; the contract every subject keeps may not. */
  readonly canOptOut?: boolean;
  run(context: Context): Promise<void>;
}

/** Opt-outs: check id → the reason, which the suite prints. */
export type OptOuts = Readonly<Record<string, string | undefined>>;

/**
 * Registers one test per check. `planned` are the checks that apply to the subject; every opt-out
 * must name one of them with a reason, which is printed instead of running the check.
 */
export function registerChecks<Context>(
  it: TestFunction,
  prefix: string,
  planned: readonly Check<Context>[],
  optOut: OptOuts | undefined,
  run: (check: Check<Context>) => Promise<void>,
): void {
  const byId = new Map(planned.map((c) => [c.id, c]));
  for (const [id, reason] of Object.entries(optOut ?? {})) {
    const check = byId.get(id);
    if (!check) {
      throw new ConformanceError(
        `${prefix}: optOut names "${id}", which is not a check this subject runs (it runs: ${[...byId.keys()].join(', ')}). Remove the opt-out.`,
      );
    }
    if (!check.canOptOut) {
      throw new ConformanceError(
        `${prefix}: "${id}" is part of the contract every subject keeps; it cannot be opted out of.`,
      );
    }
    if (typeof reason !== 'string' || reason.trim().length < 10) {
      throw new ConformanceError(
        `${prefix}: opting out of "${id}" needs a reason (a sentence saying why this subject cannot keep "${check.name}").`,
      );
    }
  }
  for (const check of planned) {
    const reason = optOut?.[check.id];
    if (reason !== undefined) {
      console.warn(`[mailplug testkit] ${prefix}: not checking "${check.name}" (${check.id}): ${reason}`);
      continue;
    }
    it(`${prefix}: ${check.name}`, () => run(check));
  }
}

/** Runs cleanups last-in first-out; every one runs, the first failure is rethrown after all ran. */
export async function runCleanups(cleanups: (() => unknown)[]): Promise<void> {
  let failure: unknown;
  let failed = false;
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      if (!failed) failure = error;
      failed = true;
    }
  }
  if (failed) throw failure;
}
