import {
  type BackoffPolicy,
  backoffDelay,
  type Disposable,
  isMailplugError,
  MailplugError,
} from '@mailplug/core';
import type { ImapConnection } from './connection.js';
import { isRetryableImapError } from './errors.js';

/**
 * The supervisor's reconnect policy: core's {@link BackoffPolicy} (exponential step, ceiling,
 * jitter) with every field set, plus when a connection counts as stable.
 */
export interface ImapBackoffPolicy extends Required<BackoffPolicy> {
  /** A connection that lived at least this long resets the backoff (default 60 s). */
  readonly stableAfterMs: number;
}

/**
 * 1 s doubling up to 5 min, half of each step randomised (a delay in [step / 2, step)) so that many
 * clients dropped at once do not reconnect in lockstep; a connection that lived 60 s resets it.
 */
export const DEFAULT_BACKOFF: ImapBackoffPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  multiplier: 2,
  jitter: 0.5,
  stableAfterMs: 60_000,
};

/** Time as the supervisor sees it; tests inject a fake one. */
export interface SupervisorClock {
  now(): number;
  /** Resolves after `ms`, or rejects when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** A number in [0, 1). */
  random(): number;
}

export const systemClock: SupervisorClock = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};

export type SupervisorEvent =
  | { readonly type: 'connected'; readonly attempt: number }
  | { readonly type: 'disconnected'; readonly livedMs: number }
  | {
      readonly type: 'retrying';
      readonly failures: number;
      readonly delayMs: number;
      readonly error?: MailplugError;
    }
  | { readonly type: 'stopped'; readonly error?: MailplugError };

export interface ImapSupervisorOptions {
  /** Opens one connection, e.g. `() => imap.connect(server, session)`. */
  readonly connect: (signal: AbortSignal) => Promise<ImapConnection>;
  /**
   * Uses a live connection and settles when done with it. Default: watch for new mail until the
   * connection drops. The supervisor closes the connection after it settles.
   */
  readonly run?: (connection: ImapConnection, signal: AbortSignal) => Promise<void>;
  readonly policy?: Partial<ImapBackoffPolicy>;
  readonly clock?: SupervisorClock;
  /** Status for the host's UI and logs (never contains secrets). */
  readonly onEvent?: (event: SupervisorEvent) => void;
}

export interface ImapSupervisor extends Disposable {
  /** Settles when the supervisor stops: disposed (no error) or a failure that retrying cannot fix (with it). */
  readonly stopped: Promise<MailplugError | undefined>;
  /** Connection attempts so far. */
  readonly attempts: number;
}

/**
 * Keeps an IMAP session alive: reconnects after drops and transient failures with exponential
 * backoff, jitter and a ceiling, and stops (instead of looping) on failures a retry cannot fix —
 * a wrong password, a rejected token, a bad setting. imapflow never reconnects by itself.
 *
 * @example
 * const supervisor = superviseImap({
 *   connect: () => imap.connect(server, session),
 *   run: async (connection) => {
 *     const watcher = connection.watch(() => void importNew(connection));
 *     await connection.closed;
 *     await watcher.dispose();
 *   },
 *   onEvent: (e) => logger.info('imap', e),
 * });
 * // on shutdown: await supervisor.dispose();
 */
export function superviseImap(options: ImapSupervisorOptions): ImapSupervisor {
  const policy: ImapBackoffPolicy = { ...DEFAULT_BACKOFF, ...options.policy };
  const clock = options.clock ?? systemClock;
  const controller = new AbortController();
  const emit = (event: SupervisorEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // A host listener must not break reconnecting.
    }
  };
  const run = options.run ?? defaultRun;
  let attempts = 0;
  let current: ImapConnection | undefined;

  const loop = async (): Promise<MailplugError | undefined> => {
    let failures = 0;
    while (!controller.signal.aborted) {
      attempts += 1;
      let error: MailplugError | undefined;
      try {
        const connection = await options.connect(controller.signal);
        if (controller.signal.aborted) {
          // Disposed while connecting (a host's connect may ignore the signal).
          connection.dispose();
          break;
        }
        current = connection;
        emit({ type: 'connected', attempt: attempts });
        const since = clock.now();
        try {
          await run(connection, controller.signal);
        } catch (runError) {
          error = isMailplugError(runError) ? runError : undefined;
        } finally {
          current = undefined;
          await connection.close().catch(() => {});
        }
        const livedMs = clock.now() - since;
        emit({ type: 'disconnected', livedMs });
        // A connection that was dropped right away counts as a failure, so a server that accepts and
        // drops cannot make us reconnect in a tight loop.
        failures = livedMs >= policy.stableAfterMs ? 1 : failures + 1;
        if (error && !isRetryableImapError(error)) return stop(error);
      } catch (connectError) {
        if (controller.signal.aborted) break;
        error = toMailplugError(connectError);
        if (!isRetryableImapError(error)) return stop(error);
        failures += 1;
      }
      if (controller.signal.aborted) break;
      const delayMs = backoffDelay(failures, policy, clock.random);
      emit({ type: 'retrying', failures, delayMs, ...(error ? { error } : {}) });
      try {
        await clock.sleep(delayMs, controller.signal);
      } catch {
        break;
      }
    }
    return stop(undefined);
  };
  const stop = (error: MailplugError | undefined) => {
    emit({ type: 'stopped', ...(error ? { error } : {}) });
    return error;
  };

  const stopped = loop();
  return {
    stopped,
    get attempts() {
      return attempts;
    },
    async dispose() {
      controller.abort(new Error('supervisor disposed'));
      current?.dispose();
      await stopped;
    },
  };
}

async function defaultRun(connection: ImapConnection): Promise<void> {
  const watcher = connection.watch(() => {});
  await connection.closed;
  await watcher.dispose();
}

function toMailplugError(error: unknown): MailplugError {
  if (isMailplugError(error)) return error;
  return new MailplugError({
    code: 'IMAP_FAILED',
    action: 'developer',
    message: 'IMAP connect failed unexpectedly',
    hint: 'Report this with the "Test connection" steps attached.',
    cause: error,
  });
}
