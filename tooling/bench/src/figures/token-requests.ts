import { distEntry, runChild } from '../child.js';
import { type FigureResult, figureLog } from '../figure.js';
import { startSmtpBenchFixture } from '../smtp-fixture.js';
import type { SendSide, SmtpChildRequest, SmtpChildResult } from '../smtp-job.js';
import { SMTP_POOL } from './smtp-throughput.js';

/**
 * Figure 2: token-endpoint requests for a burst of concurrent sends over a 5-connection pool,
 * starting without a usable access token. Mailplug: core TokenManager whose refresh function calls
 * the endpoint. nodemailer: its own OAuth2 helper with the same refresh token and `accessUrl`.
 */
export async function tokenRequestsFigure(ctx: { quick: boolean }): Promise<FigureResult> {
  const { lines, log } = figureLog('tokens');
  const count = ctx.quick ? 300 : 1000;
  const fixture = await startSmtpBenchFixture();
  try {
    log(
      `${count} concurrent sends, pool maxConnections ${SMTP_POOL.maxConnections} / maxMessages ${SMTP_POOL.maxMessages}, no access token at start`,
    );
    const counts: Partial<Record<SendSide, { tokenRequests: number; logins: number; failed: number }>> = {};
    const problems: string[] = [];
    for (const side of ['mailplug', 'nodemailer'] as const) {
      fixture.server.reset();
      fixture.endpoint.resetCount();
      const request: SmtpChildRequest = {
        side,
        target: fixture.target,
        oauth: fixture.coldOAuth,
        pool: SMTP_POOL,
        job: { kind: 'burst', count },
      };
      const result = await runChild<SmtpChildResult>(distEntry('smtp-client.js'), request);
      const received = fixture.server.messages.length;
      if (result.failed > 0 || received !== count) {
        problems.push(
          `${side}: ${result.failed} failed (${result.firstError ?? 'no error'}), server received ${received}/${count}`,
        );
      }
      counts[side] = {
        tokenRequests: fixture.endpoint.requestCount,
        logins: fixture.server.authSuccesses.XOAUTH2,
        failed: result.failed,
      };
    }
    for (const p of problems) log(`PROBLEM ${p}`);
    const label = { mailplug: 'Mailplug (TokenManager)      ', nodemailer: 'nodemailer OAuth2 helper     ' };
    for (const side of ['mailplug', 'nodemailer'] as const) {
      const c = counts[side];
      log(`${label[side]} token requests ${c?.tokenRequests} (SMTP logins ${c?.logins})`);
    }
    const mp = counts.mailplug?.tokenRequests ?? Number.NaN;
    const nm = counts.nodemailer?.tokenRequests ?? Number.NaN;
    log(
      `ratio nodemailer / Mailplug token requests = ${mp > 0 ? (nm / mp).toFixed(1) : 'n/a'} (goal: Mailplug 1)`,
    );
    return {
      id: 'tokens',
      title: 'Token-endpoint requests for concurrent sends',
      ran: true,
      lines,
      goal: 'Mailplug makes exactly 1 token request',
      goalMet: problems.length === 0 && mp === 1,
      data: { count, pool: SMTP_POOL, counts, problems },
    };
  } finally {
    await fixture.close();
  }
}
