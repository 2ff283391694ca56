/**
 * The fault matrix: every shape a misbehaving identity platform or the proxy in front of it
 * produces, injected at the token endpoint of each provider, driven through the real library
 * (session.getCredential, mailer.send, checkAuthorization) on the first call and on calls inside
 * msal's throttle window (msal-node replays a 429/5xx locally for Retry-After, or 60 s).
 */
import { isMailplugError, type MailplugError } from '@mailplug/core';
import { expect } from 'vitest';
import { type Bed, DEADLINES, message, type ProviderId, TOKEN_GRANT } from './bed.js';

export interface FaultShape {
  readonly name: string;
  readonly fault: Record<string, unknown>;
  /** The Retry-After the platform sent, in ms. */
  readonly retryAfterMs?: number;
  /** The request never gets an answer: the call must end within the configured deadline. */
  readonly hangs?: boolean;
  /** An HTTP answer msal's throttling cache remembers (429 and 5xx). */
  readonly throttledByMsal?: boolean;
}

export const FAULT_SHAPES: readonly FaultShape[] = [
  {
    name: '429 with Retry-After',
    fault: { status: 429, retryAfterSeconds: 5 },
    retryAfterMs: 5_000,
    throttledByMsal: true,
  },
  { name: '429 without Retry-After', fault: { status: 429 }, throttledByMsal: true },
  { name: 'text/plain 503', fault: { status: 503, body: 'text' }, throttledByMsal: true },
  { name: 'HTML 502 (a proxy page)', fault: { status: 502, body: 'html' }, throttledByMsal: true },
  { name: 'black hole', fault: { blackHole: true }, hangs: true },
  { name: 'connection reset', fault: { reset: true } },
];

export type Phase = 'first call' | 'within the throttle window';
export const PHASES: readonly Phase[] = ['first call', 'within the throttle window'];

export interface Cell {
  readonly provider: ProviderId;
  readonly shape: FaultShape;
  readonly phase: Phase;
}

/** Every cell of the matrix for these providers, for `test.each`. */
export function cellsFor(providers: readonly ProviderId[]): Cell[] {
  return providers.flatMap((provider) =>
    FAULT_SHAPES.flatMap((shape) => PHASES.map((phase) => ({ provider, shape, phase }))),
  );
}

export async function failure(work: Promise<unknown>): Promise<{ error: MailplugError; elapsedMs: number }> {
  const started = Date.now();
  const outcome = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  const elapsedMs = Date.now() - started;
  expect(outcome, 'the call must fail with a MailplugError').toBeDefined();
  expect(isMailplugError(outcome), String(outcome)).toBe(true);
  return { error: outcome as MailplugError, elapsedMs };
}

export function expectTransient(
  cell: Cell,
  result: { error: MailplugError; elapsedMs: number },
  label: string,
): void {
  const { error, elapsedMs } = result;
  expect(
    { action: error.action, code: error.code },
    `${label}: ${error.code} ${error.action} — ${error.message} / ${error.hint}`,
  ).toMatchObject({ action: 'retry' });
  if (cell.shape.retryAfterMs !== undefined) {
    // The full Retry-After on the first answer; inside msal's throttle window at most that.
    expect(error.retryAfterMs, `${label}: retryAfterMs`).toBeGreaterThan(0);
    expect(error.retryAfterMs, `${label}: retryAfterMs`).toBeLessThanOrEqual(cell.shape.retryAfterMs);
    if (cell.phase === 'first call') expect(error.retryAfterMs).toBe(cell.shape.retryAfterMs);
  } else {
    expect(error.retryAfterMs, `${label}: no Retry-After was sent`).toBeUndefined();
  }
  // The configured ceiling of a refresh with its retries is the deadline a caller may wait.
  if (cell.shape.hangs)
    expect(elapsedMs, `${label}: ended within the deadline`).toBeLessThan(DEADLINES.retry.maxTotalMs);
}

/**
 * Runs one cell on a fresh, signed-in account: injects the fault at the provider's token endpoint
 * until the cell ends, then asserts `retry` (with the Retry-After) on every call, the deadline for
 * a black hole, and `temporarilyUnavailable` from "Check Authorization".
 */
export async function runCell(bed: Bed, cell: Cell, accountId: string): Promise<void> {
  const account = await bed.account(cell.provider, accountId);
  const session = await bed.session(account);
  const { platform, grant } = TOKEN_GRANT[cell.provider];
  const injection = { ...cell.shape.fault, endpoint: 'token', grant, times: Number.POSITIVE_INFINITY };
  const handle =
    platform === 'google'
      ? bed.emulator.inject.google(injection as never)
      : bed.emulator.inject.microsoft(injection as never);
  try {
    if (cell.phase === 'first call') {
      expectTransient(
        cell,
        await failure(bed.mailer.send({ account, message: message(`${cell.shape.name} first`) })),
        'mailer.send',
      );
    } else {
      // The first failure starts the throttle window; the calls after it fall inside it. (The
      // sessions' msal caches are reloaded from the token store on every access, which drops msal's
      // throttling entries, so here Entra ID is asked again; msal's own local replay is covered by
      // the library-level cells of the Microsoft matrix.)
      await failure(session.getCredential({ protocol: 'smtp' }));
      expectTransient(
        cell,
        await failure(session.getCredential({ protocol: 'smtp' })),
        'second getCredential',
      );
      expectTransient(
        cell,
        await failure(bed.mailer.send({ account, message: message(`${cell.shape.name} throttled`) })),
        'mailer.send',
      );
    }
    const status = await session.checkAuthorization();
    expect(status.state, `checkAuthorization: ${status.error?.code} ${status.error?.message}`).toBe(
      'temporarilyUnavailable',
    );
    expect(status.error?.action).toBe('retry');
  } finally {
    handle.remove();
  }
}
