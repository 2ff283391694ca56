import { distEntry, runChild } from '../child.js';
import { type FigureResult, figureLog } from '../figure.js';
import { startSmtpBenchFixture } from '../smtp-fixture.js';
import type { SendSide, SmtpChildRequest, SmtpChildResult } from '../smtp-job.js';
import { fixed, mib, ratio, slope } from '../stats.js';
import { SMTP_POOL } from './smtp-throughput.js';

/**
 * Figure 4: resident memory of a child process sending many messages through the pooled adapter
 * (a producer keeping `window` sends in flight), sampled every 500 messages, vs raw nodemailer
 * with the same producer. The server runs in the parent, so its captured messages do not count.
 */
export async function rssFigure(ctx: { quick: boolean }): Promise<FigureResult> {
  const { lines, log } = figureLog('rss');
  const count = ctx.quick ? 2000 : 10_000;
  const window = 100;
  const sampleEvery = 500;
  const fixture = await startSmtpBenchFixture();
  try {
    const oauth = await fixture.warmOAuth();
    log(
      `${count} messages per side, ${window} in flight, RSS sampled every ${sampleEvery} messages (warm-up = first 20%)`,
    );
    const data: Partial<Record<SendSide, unknown>> = {};
    const peaks: Partial<Record<SendSide, number>> = {};
    const slopes: Partial<Record<SendSide, number>> = {};
    const problems: string[] = [];
    for (const side of ['mailplug', 'nodemailer'] as const) {
      fixture.server.reset();
      const request: SmtpChildRequest = {
        side,
        target: fixture.target,
        oauth,
        pool: SMTP_POOL,
        job: { kind: 'rss', count, window, sampleEvery },
      };
      const result = await runChild<SmtpChildResult>(distEntry('smtp-client.js'), request, {
        timeoutMs: 300_000,
        execArgv: ['--expose-gc'],
      });
      const received = fixture.server.messages.length;
      fixture.server.reset();
      if (result.failed > 0 || received !== count) {
        problems.push(
          `${side}: ${result.failed} failed (${result.firstError ?? 'no error'}), server received ${received}/${count}`,
        );
      }
      const samples = result.samples ?? [];
      const afterWarmup = samples.filter((s) => s.sent >= count * 0.2);
      // KiB of RSS per 1,000 messages after warm-up: ~0 means flat.
      const kibPer1000 = (slope(afterWarmup.map((s) => ({ x: s.sent, y: s.rss }))) * 1000) / 1024;
      // The leak indicator: live heap after a full GC at each sample.
      const liveKibPer1000 =
        (slope(afterWarmup.map((s) => ({ x: s.sent, y: s.liveHeap ?? Number.NaN }))) * 1000) / 1024;
      const first = afterWarmup[0];
      const last = afterWarmup[afterWarmup.length - 1];
      peaks[side] = result.peakRss ?? 0;
      slopes[side] = liveKibPer1000;
      data[side] = {
        peakRss: result.peakRss,
        elapsedMs: result.elapsedMs,
        rssSlopeKiBPer1000Messages: kibPer1000,
        liveHeapSlopeKiBPer1000Messages: liveKibPer1000,
        samples: samples.map((s) => ({
          sent: s.sent,
          rssMiB: mib(s.rss),
          heapUsedMiB: mib(s.heapUsed),
          liveHeapMiB: s.liveHeap === undefined ? undefined : mib(s.liveHeap),
        })),
      };
      const series = samples
        .filter((_, i) => i % 4 === 0 || i === samples.length - 1)
        .map((s) => `${s.sent}:${mib(s.rss)}`);
      log(`${side.padEnd(10)} RSS MiB by messages sent  ${series.join('  ')}`);
      log(
        `${side.padEnd(10)} peak ${mib(result.peakRss ?? 0)} MiB; after warm-up ${first ? mib(first.rss) : 'n/a'} -> ${last ? mib(last.rss) : 'n/a'} MiB, RSS slope ${fixed(kibPer1000, 0)} KiB / 1,000 messages; live heap after GC ${first?.liveHeap !== undefined ? mib(first.liveHeap) : 'n/a'} -> ${last?.liveHeap !== undefined ? mib(last.liveHeap) : 'n/a'} MiB, slope ${fixed(liveKibPer1000, 0)} KiB / 1,000 messages`,
      );
    }
    for (const p of problems) log(`PROBLEM ${p}`);
    const peakRatio = ratio(peaks.mailplug ?? Number.NaN, peaks.nodemailer ?? Number.NaN);
    log(
      `ratio peak RSS Mailplug / nodemailer = ${fixed(peakRatio, 3)} (goal: live heap flat after warm-up, peak RSS within 1.25x of nodemailer)`,
    );
    return {
      id: 'rss',
      title: 'Peak RSS while sending through the pool',
      ran: true,
      lines,
      goal: 'live heap after GC flat after warm-up (|slope| < 64 KiB per 1,000 messages); peak RSS within 1.25x of nodemailer',
      goalMet:
        problems.length === 0 &&
        Math.abs(slopes.mailplug ?? Number.POSITIVE_INFINITY) < 64 &&
        peakRatio <= 1.25,
      data: { count, window, sampleEvery, pool: SMTP_POOL, peakRatio, sides: data, problems },
    };
  } finally {
    await fixture.close();
  }
}
