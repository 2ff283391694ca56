import { distEntry, runChild } from '../child.js';
import { type FigureContext, type FigureResult, figureLog } from '../figure.js';
import { startSmtpBenchFixture } from '../smtp-fixture.js';
import type { PoolSettings, SendSide, SmtpChildRequest, SmtpChildResult } from '../smtp-job.js';
import { fixed, median, ratio } from '../stats.js';

export const SMTP_POOL: PoolSettings = { maxConnections: 5, maxMessages: 100 };
export const GOAL_SMTP_RATIO = 0.95;

/**
 * Figure 1: messages/s through Mailplug's pooled SMTP adapter vs raw nodemailer with identical pool
 * settings against one loopback smtp-server (STARTTLS + XOAUTH2). Each run is a fresh child process
 * that warms up (JIT, TLS session, pool) before the timed batch; the order alternates per round.
 */
export async function smtpThroughputFigure(ctx: Omit<FigureContext, 'log'>): Promise<FigureResult> {
  const { lines, log } = figureLog('smtp');
  const count = ctx.quick ? 500 : 2000;
  const warmup = ctx.quick ? 100 : 200;
  const rounds = ctx.rounds ?? (ctx.quick ? 1 : 5);
  const fixture = await startSmtpBenchFixture();
  try {
    const oauth = await fixture.warmOAuth();
    log(
      `${count} messages per side per round after ${warmup} warm-up, ${rounds} round(s), pool maxConnections ${SMTP_POOL.maxConnections} / maxMessages ${SMTP_POOL.maxMessages}, STARTTLS + XOAUTH2`,
    );
    const rates: Record<SendSide, number[]> = { mailplug: [], nodemailer: [] };
    const roundRatios: number[] = [];
    const cpuPerMessage: Record<SendSide, number[]> = { mailplug: [], nodemailer: [] };
    const loginCounts: Record<SendSide, number[]> = { mailplug: [], nodemailer: [] };
    const problems: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const order: SendSide[] = round % 2 === 0 ? ['mailplug', 'nodemailer'] : ['nodemailer', 'mailplug'];
      const thisRound: Partial<Record<SendSide, number>> = {};
      for (const side of order) {
        fixture.server.reset();
        const request: SmtpChildRequest = {
          side,
          target: fixture.target,
          oauth,
          pool: SMTP_POOL,
          job: { kind: 'throughput', warmup, count },
        };
        const result = await runChild<SmtpChildResult>(distEntry('smtp-client.js'), request);
        const received = fixture.server.messages.length;
        if (result.failed > 0 || received !== warmup + count) {
          problems.push(
            `${side} round ${round + 1}: ${result.failed} failed (${result.firstError ?? 'no error'}), server received ${received}/${warmup + count}`,
          );
        }
        const rate = result.sent / (result.elapsedMs / 1000);
        rates[side].push(rate);
        const cpuMicros = (result.cpuMicros ?? Number.NaN) / Math.max(result.sent, 1);
        cpuPerMessage[side].push(cpuMicros);
        thisRound[side] = rate;
        const logins = fixture.server.authSuccesses.XOAUTH2;
        loginCounts[side].push(logins);
        log(
          `round ${round + 1} ${side.padEnd(10)} ${fixed(rate, 0)} msg/s (${fixed(result.elapsedMs, 0)} ms, client CPU ${fixed(cpuMicros, 0)} µs/msg, ${logins} SMTP logins for ${warmup + count} messages)`,
        );
      }
      roundRatios.push(ratio(thisRound.mailplug ?? Number.NaN, thisRound.nodemailer ?? Number.NaN));
    }
    const mailplug = median(rates.mailplug);
    const nodemailer = median(rates.nodemailer);
    const headline = ratio(mailplug, nodemailer);
    const cpu = { mailplug: median(cpuPerMessage.mailplug), nodemailer: median(cpuPerMessage.nodemailer) };
    for (const p of problems) log(`PROBLEM ${p}`);
    log(`Mailplug SMTP (pooled adapter)  median ${fixed(mailplug, 0)} msg/s`);
    log(`raw nodemailer (same pool)      median ${fixed(nodemailer, 0)} msg/s`);
    log(
      `ratio Mailplug / nodemailer = ${fixed(headline, 3)} (per round: ${roundRatios.map((r) => fixed(r, 3)).join(', ')}; goal >= ${GOAL_SMTP_RATIO})`,
    );
    log(
      `client CPU per message: Mailplug ${fixed(cpu.mailplug, 0)} µs, nodemailer ${fixed(cpu.nodemailer, 0)} µs (nodemailer / Mailplug = ${fixed(ratio(cpu.nodemailer, cpu.mailplug), 3)})`,
    );
    return {
      id: 'smtp',
      title: 'SMTP throughput (pooled, XOAUTH2)',
      ran: true,
      lines,
      goal: `Mailplug / nodemailer >= ${GOAL_SMTP_RATIO}`,
      goalMet: problems.length === 0 && headline >= GOAL_SMTP_RATIO,
      data: {
        count,
        warmup,
        rounds,
        pool: SMTP_POOL,
        messagesPerSecond: rates,
        medianMessagesPerSecond: { mailplug, nodemailer },
        ratio: headline,
        roundRatios,
        clientCpuMicrosPerMessage: cpuPerMessage,
        medianClientCpuMicrosPerMessage: cpu,
        smtpLogins: loginCounts,
        problems,
      },
    };
  } finally {
    await fixture.close();
  }
}
