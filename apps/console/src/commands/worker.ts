/**
 * `worker`: the outbox's delivery loop in the foreground, with a one-line progress display. It
 * stops cleanly on SIGINT/SIGTERM (the attempts in flight are recorded first; a second signal
 * ends the process at once), or with `--until-idle` when nothing is due any more.
 */
import type { KeepAliveReport } from '@mailplug/core';
import type { Outbox, OutboxEvent } from '@mailplug/outbox';
import type { CommandContext, CommandSpec } from '../command.js';
import { stringOption } from '../command.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { FAIL, OK } from '../output.js';
import { oneLine } from '../terminal-text.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
const IDLE_CHECK_MS = 100;

interface Tally {
  sent: number;
  deferred: number;
  held: number;
  failed: number;
  released: number;
}

const OUTCOME_WORDS: Record<string, string> = {
  keptAlive: 'kept alive',
  notDue: 'not due',
  notApplicable: 'not applicable',
  failed: 'failed',
};

function keepAliveLines(report: KeepAliveReport): string[] {
  const byOutcome = new Map<string, string[]>();
  for (const a of report.accounts)
    byOutcome.set(a.outcome, [...(byOutcome.get(a.outcome) ?? []), a.accountId]);
  const summary = [...byOutcome]
    .map(
      ([outcome, ids]) => `${OUTCOME_WORDS[outcome] ?? outcome}: ${ids.map((id) => oneLine(id)).join(', ')}`,
    )
    .join('; ');
  const lines = [`Keep-alive: ${summary || 'no accounts'}`];
  for (const a of report.accounts) {
    if (a.outcome === 'failed' && a.error)
      lines.push(`  ${FAIL} ${oneLine(a.accountId)}: ${oneLine(a.error.code)} — ${oneLine(a.error.hint)}`);
  }
  return lines;
}

/** Nothing in flight and nothing due now (held messages and later retries wait for the next run). */
async function isIdle(outbox: Outbox): Promise<boolean> {
  const now = Date.now();
  const waiting = await outbox.list({ states: ['queued', 'deferred', 'sending'], limit: 1000 });
  for (const message of waiting) {
    if (message.state === 'sending') return false;
    if (message.notBefore > now) continue;
    const { pausedUntil } = await outbox.accountStatus(message.accountId);
    if (pausedUntil === undefined || pausedUntil <= now) return false;
  }
  return true;
}

async function runWorker(ctx: CommandContext): Promise<number> {
  const untilIdle = ctx.values['until-idle'] === true;
  const concurrency = Number(stringOption(ctx.values, 'concurrency') ?? 4);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new UsageError('--concurrency takes a whole number above 0.');
  const outbox = await ctx.host().outbox();
  const tally: Tally = { sent: 0, deferred: 0, held: 0, failed: 0, released: 0 };
  let waiting = 0;
  let keepAlive: KeepAliveReport | undefined;
  const line = () =>
    `worker: ${tally.sent} sent · ${tally.deferred} deferred · ${tally.held} held · ${tally.failed} failed · ${waiting} waiting`;
  /** A line of its own, above the status display. */
  const say = (text: string) => {
    ctx.status(undefined);
    ctx.print(text);
    ctx.status(line());
  };
  const refresh = async () => {
    waiting = (await outbox.list({ states: ['queued', 'deferred', 'sending'], limit: 10_000 })).length;
    ctx.status(line());
  };

  const onEvent = (event: OutboxEvent) => {
    if (event.type === 'sent') tally.sent += 1;
    if (event.type === 'deferred') tally.deferred += 1;
    if (event.type === 'held') {
      tally.held += 1;
      say(`! ${oneLine(event.accountId)}: holding its messages — ${oneLine(event.error.code)}`);
      say(`  hint: ${oneLine(event.error.hint)}`);
    }
    if (event.type === 'failed') {
      tally.failed += 1;
      say(`${FAIL} ${event.id} failed — ${oneLine(event.error.code)}: ${oneLine(event.error.hint)}`);
    }
    if (event.type === 'released') {
      tally.released += event.count;
      say(`${OK} ${oneLine(event.accountId)}: ${event.count} held message(s) released (${event.reason})`);
    }
    void refresh().catch(() => undefined);
  };
  const subscriptions = [
    outbox.onDidChange(onEvent),
    outbox.onDidKeepAlive((report) => {
      keepAlive = report;
      for (const text of keepAliveLines(report)) say(text);
    }),
  ];

  let stopSignal: string | undefined;
  let wakeStop: () => void = () => undefined;
  const stopRequested = new Promise<void>((resolve) => {
    wakeStop = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    stopSignal = signal;
    wakeStop();
  };
  for (const signal of STOP_SIGNALS) process.once(signal, onSignal);
  let idleTimer: ReturnType<typeof setInterval> | undefined;
  let statusTimer: ReturnType<typeof setInterval> | undefined;

  const worker = outbox.startWorker({ concurrency });
  try {
    ctx.progress(
      untilIdle
        ? `Delivering what is due from ${ctx.host().files.outbox}; stops when nothing is left to do.`
        : `Delivering from ${ctx.host().files.outbox}; Ctrl+C (SIGINT) or SIGTERM stops after the messages in flight.`,
    );
    await refresh();
    statusTimer = setInterval(() => void refresh().catch(() => undefined), 1_000);
    if (untilIdle) {
      let checking = false;
      idleTimer = setInterval(() => {
        if (checking) return;
        checking = true;
        isIdle(outbox)
          .then((idle) => idle && wakeStop())
          .catch(() => undefined)
          .finally(() => {
            checking = false;
          });
      }, IDLE_CHECK_MS);
    }
    await stopRequested;
    if (stopSignal) say(`Stopping (${stopSignal}): waiting for the messages in flight…`);
  } finally {
    if (idleTimer) clearInterval(idleTimer);
    if (statusTimer) clearInterval(statusTimer);
    // Waits for the attempts in flight and the keep-alive run (their outcomes are recorded).
    await worker.stop();
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    await refresh().catch(() => undefined);
    for (const s of subscriptions) s.dispose();
    ctx.status(undefined);
  }
  const summary = `${tally.sent} sent, ${tally.deferred} deferred, ${tally.held} held, ${tally.failed} failed; ${waiting} waiting`;
  ctx.print(`${OK} Worker stopped${stopSignal ? ` (${stopSignal})` : ' (idle)'}: ${summary}.`);
  ctx.emit({
    ok: true,
    worker: worker.id,
    stoppedBy: stopSignal ?? 'idle',
    ...tally,
    waiting,
    ...(keepAlive ? { keepAlive } : {}),
  });
  return ExitCode.Ok;
}

export const workerCommand: CommandSpec = {
  name: 'worker',
  summary:
    'Deliver queued messages (the outbox worker, with a progress line); keeps idle OAuth accounts signed in. Stops on Ctrl+C / SIGTERM.',
  options: { 'until-idle': { type: 'boolean' }, concurrency: { type: 'string' } },
  optionHelp: [
    ['--until-idle', 'stop once nothing is due (held messages and later retries wait for the next run)'],
    ['--concurrency <n>', 'messages in flight at once (default 4; one at a time per mailbox)'],
  ],
  examples: ['mailplug-console worker', 'mailplug-console worker --until-idle --json'],
  run: runWorker,
};
