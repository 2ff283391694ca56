/**
 * Core's keep-alive scheduler run by the outbox's workers: the process that delivers the mail is
 * the one that keeps idle OAuth accounts signed in, so a reminder queued after months of quiet
 * does not meet a refresh token that died of inactivity.
 */
import {
  createKeepAlive,
  type Emitter,
  type KeepAliveReport,
  type Logger,
  type MailAccount,
  type Mailer,
  type TokenStore,
} from '@mailplug/core';

export interface OutboxKeepAliveOptions {
  /** Where each account's last keep-alive refresh is recorded (under `<accountId>:`): the mailer's token store. */
  readonly tokenStore: TokenStore;
  /** Every account to look after; called on each run, so added and removed accounts are picked up. */
  accounts(): readonly MailAccount[] | Promise<readonly MailAccount[]>;
  /** Time between runs (ms). Default 6 hours; a run also happens when the worker starts. */
  readonly intervalMs?: number;
  /** Extra or overriding inactivity windows per provider id (ms); see core's `createKeepAlive`. */
  readonly inactivityWindows?: Readonly<Record<string, number>>;
  /** Refresh once this share of the window has passed since the last refresh. Default 1/3. */
  readonly refreshAfterFraction?: number;
}

/** Default time between keep-alive runs. */
export const DEFAULT_KEEP_ALIVE_INTERVAL_MS = 6 * 60 * 60_000;

export interface KeepAliveRunner {
  /** The latest completed run's report. */
  latest(): KeepAliveReport | undefined;
  /** Runs now and then every interval, until `stop`. Idempotent. */
  start(): void;
  /** Clears the timer and waits for a run in flight, so nothing is refreshed after it resolves. */
  stop(): Promise<void>;
}

export function createKeepAliveRunner(
  options: OutboxKeepAliveOptions,
  context: {
    readonly mailer: Mailer;
    readonly clock: () => number;
    readonly logger: Logger;
    readonly reports: Emitter<KeepAliveReport>;
  },
): KeepAliveRunner {
  const { mailer, clock, logger, reports } = context;
  const intervalMs = Math.max(1, options.intervalMs ?? DEFAULT_KEEP_ALIVE_INTERVAL_MS);
  let latest: KeepAliveReport | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let scheduler: ReturnType<typeof createKeepAlive> | undefined;
  let running: Promise<void> | undefined;

  function runNow(): void {
    const keepAlive = scheduler;
    if (!keepAlive || running) return;
    running = keepAlive
      .runOnce()
      .then((report) => {
        latest = report;
        reports.fire(report);
      })
      .catch((error) =>
        // runOnce reports each account's failure; only the account list itself can throw here.
        logger.warn('mailplug outbox: the keep-alive run could not list the accounts', {
          error: String(error),
        }),
      )
      .finally(() => {
        running = undefined;
      });
  }

  return {
    latest: () => latest,
    start() {
      if (scheduler) return;
      scheduler = createKeepAlive({
        accounts: () => options.accounts(),
        // Background work on the admin's behalf, also for personal accounts.
        sessionFor: (account) => mailer.sessionFor(account, { operation: 'admin' }),
        tokenStore: options.tokenStore,
        now: clock,
        logger,
        ...(options.inactivityWindows ? { inactivityWindows: options.inactivityWindows } : {}),
        ...(options.refreshAfterFraction !== undefined
          ? { refreshAfterFraction: options.refreshAfterFraction }
          : {}),
      });
      runNow();
      timer = setInterval(runNow, intervalMs);
      // The worker's own timers keep the process alive; this one must not on its own.
      timer.unref?.();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      const keepAlive = scheduler;
      scheduler = undefined;
      await running;
      keepAlive?.dispose();
    },
  };
}
