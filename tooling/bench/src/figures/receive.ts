import { existsSync } from 'node:fs';
import { DOVECOT_BINARY, DOVECOT_INSTALL_HINT, type DovecotInstance, startDovecot } from '@mailplug/interop';
import { distEntry, runChild } from '../child.js';
import { type FigureResult, figureLog } from '../figure.js';
import type { ReceiveChildRequest, ReceiveChildResult, ReceiveSide } from '../receive-job.js';
import { fixed, median, ratio } from '../stats.js';

export const GOAL_IMAP_RATIO = 0.95;
export const GOAL_POP3_RATIO = 1.0;

const USER = 'bench@example.test';
/**
 * A second mailbox, used only when node-pop3 cannot finish the main corpus: the same messages with a
 * shorter `To:` header, which moves where responses fall across TLS reads.
 */
const FALLBACK_USER = 'b@example.test';

/** A ~2 KB message, different per index. */
function rawMessage(index: number, user = USER): string {
  const body = `Benchmark message ${index}. ${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(30)}`;
  return [
    `From: Sender <sender@example.test>`,
    `To: Bench <${user}>`,
    `Subject: Receive bench ${index}`,
    `Date: ${new Date(Date.UTC(2025, 0, 1, 0, 0, index % 60)).toUTCString()}`,
    `Message-ID: <bench-${index}@example.test>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    ...(body.match(/.{1,76}/g) ?? []),
    '',
  ].join('\r\n');
}

interface Comparison {
  readonly name: string;
  readonly mailplug: ReceiveSide;
  readonly raw: ReceiveSide;
  readonly goal: number;
}

/**
 * Figure 5: receive from a private Dovecot (tooling/interop) holding N delivered messages —
 * Mailplug IMAP vs raw imapflow (same per-message access pattern; a bulk FETCH 1:* is shown as a
 * reference) and Mailplug POP3 vs node-pop3, all with password login over implicit TLS.
 */
export async function receiveFigure(ctx: { quick: boolean; rounds?: number }): Promise<FigureResult> {
  const { lines, log } = figureLog('receive');
  if (!existsSync(DOVECOT_BINARY)) {
    const reason = `Dovecot is not installed (${DOVECOT_BINARY} missing); install with: ${DOVECOT_INSTALL_HINT}`;
    log(`not run: ${reason}`);
    return {
      id: 'receive',
      title: 'Receive (IMAP, POP3)',
      ran: false,
      skippedReason: reason,
      lines,
      data: {},
    };
  }
  if (process.getuid?.() !== 0) {
    const reason = 'the Dovecot harness must run as root (Dovecot drops privileges to its own users)';
    log(`not run: ${reason}`);
    return {
      id: 'receive',
      title: 'Receive (IMAP, POP3)',
      ran: false,
      skippedReason: reason,
      lines,
      data: {},
    };
  }
  const count = ctx.quick ? 200 : 1000;
  const rounds = ctx.rounds ?? (ctx.quick ? 1 : 5);
  const password = `bench-pw-${process.pid}`;
  let dovecot: DovecotInstance | undefined;
  try {
    dovecot = await startDovecot({ users: { [USER]: password, [FALLBACK_USER]: password } });
    for (let i = 0; i < count; i++) await dovecot.deliver(USER, rawMessage(i));
    const started = dovecot;
    log(
      `${count} messages delivered to Dovecot; ${rounds} round(s) per comparison; each timed pass = connect (implicit TLS) + password login + list + fetch all + logout, after one warm-up pass`,
    );

    const imapReady = await imapAdapterReady();
    const comparisons: Comparison[] = [
      ...(imapReady
        ? [{ name: 'IMAP', mailplug: 'mailplug-imap', raw: 'imapflow-each', goal: GOAL_IMAP_RATIO } as const]
        : []),
      { name: 'POP3', mailplug: 'mailplug-pop3', raw: 'node-pop3', goal: GOAL_POP3_RATIO },
    ];
    if (!imapReady)
      log('IMAP (Mailplug side) not run: @mailplug/protocol-imap does not export createImapProtocol yet');

    let mailbox = USER;
    const request = (side: ReceiveSide, port: number): ReceiveChildRequest => ({
      side,
      host: started.host,
      port,
      ca: started.ca,
      user: mailbox,
      password,
      expected: count,
    });
    const portOf = (side: ReceiveSide) => (side.includes('pop3') ? started.ports.pop3s : started.ports.imaps);
    const problems: string[] = [];
    const incidents: string[] = [];
    /** A side whose pass dies (e.g. node-pop3 stalling on a response split across TLS records) gets one more try, each failure recorded. */
    const attempt = async (side: ReceiveSide): Promise<ReceiveChildResult> => {
      for (let tries = 1; ; tries++) {
        try {
          return await runChild<ReceiveChildResult>(
            distEntry('receive-client.js'),
            request(side, portOf(side)),
            {
              timeoutMs: 120_000,
            },
          );
        } catch (error) {
          const first = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
          const logTail = (await started.readLog()).trim().split('\n').slice(-3).join(' | ');
          incidents.push(`${side} attempt ${tries}: ${first} (Dovecot log: ${logTail})`);
          log(`INCIDENT ${side} attempt ${tries} failed: ${first}; Dovecot log tail: ${logTail}`);
          if (tries >= 2) throw error;
        }
      }
    };
    const measure = async (side: ReceiveSide): Promise<number> => {
      const result = await attempt(side);
      if (result.fetched !== count) problems.push(`${side}: fetched ${result.fetched}/${count}`);
      const rate = result.fetched / (result.elapsedMs / 1000);
      log(
        `${side.padEnd(14)} ${fixed(rate, 0)} msg/s (${fixed(result.elapsedMs, 0)} ms, ${Math.round(result.bytes / 1024)} KiB, client CPU ${fixed(result.cpuMicros / Math.max(result.fetched, 1), 0)} µs/msg)`,
      );
      return rate;
    };

    const data: Record<string, unknown> = { count, rounds };
    let goalsMet = true;
    for (const c of comparisons) {
      const rates: Record<'mailplug' | 'raw', number[]> = { mailplug: [], raw: [] };
      const runRounds = async () => {
        rates.mailplug = [];
        rates.raw = [];
        for (let round = 0; round < rounds; round++) {
          const order = round % 2 === 0 ? (['mailplug', 'raw'] as const) : (['raw', 'mailplug'] as const);
          for (const which of order) rates[which].push(await measure(c[which]));
        }
      };
      try {
        await runRounds();
      } catch (error) {
        if (c.raw !== 'node-pop3') throw error;
        // node-pop3 ends a RETR only when one socket read ends with CRLF.CRLF (or equals a piece of it);
        // a terminator split differently across reads leaves it waiting forever. Say so, then
        // compare on the fallback mailbox so the figure still has a throughput ratio.
        log(
          `node-pop3 could not finish the ${USER} corpus (stalls mid-RETR, see incidents); repeating the POP3 comparison on ${FALLBACK_USER}`,
        );
        data.pop3MainCorpusFailed = true;
        for (let i = 0; i < count; i++) await started.deliver(FALLBACK_USER, rawMessage(i, FALLBACK_USER));
        mailbox = FALLBACK_USER;
        await runRounds();
        mailbox = USER;
      }
      const mp = median(rates.mailplug);
      const raw = median(rates.raw);
      const r = ratio(mp, raw);
      goalsMet &&= r >= c.goal;
      log(
        `${c.name}: Mailplug median ${fixed(mp, 0)} msg/s, ${c.raw} median ${fixed(raw, 0)} msg/s, ratio Mailplug / ${c.raw} = ${fixed(r, 3)} (goal >= ${c.goal})`,
      );
      data[c.name.toLowerCase()] = {
        mailplugSide: c.mailplug,
        rawSide: c.raw,
        messagesPerSecond: rates,
        median: { mailplug: mp, raw },
        ratio: r,
      };
    }
    // Reference only: imapflow's pipelined bulk FETCH, the ceiling for any per-message API.
    const bulk: number[] = [];
    for (let round = 0; round < rounds; round++) bulk.push(await measure('imapflow-bulk'));
    log(
      `reference: raw imapflow bulk FETCH 1:* median ${fixed(median(bulk), 0)} msg/s (not part of a ratio)`,
    );
    data.imapflowBulk = { messagesPerSecond: bulk, median: median(bulk) };
    for (const p of problems) log(`PROBLEM ${p}`);
    data.problems = problems;
    data.incidents = incidents;
    return {
      id: 'receive',
      title: 'Receive (IMAP, POP3)',
      ran: true,
      lines,
      goal: `IMAP Mailplug / imapflow >= ${GOAL_IMAP_RATIO}${imapReady ? '' : ' (IMAP not run)'}; POP3 Mailplug / node-pop3 >= ${GOAL_POP3_RATIO}`,
      goalMet: problems.length === 0 && goalsMet && imapReady,
      data: { ...data, imapAdapterReady: imapReady },
    };
  } finally {
    await dovecot?.stop();
  }
}

async function imapAdapterReady(): Promise<boolean> {
  try {
    const mod = (await import('@mailplug/protocol-imap')) as Record<string, unknown>;
    return typeof mod.createImapProtocol === 'function';
  } catch {
    return false;
  }
}
