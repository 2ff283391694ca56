/**
 * `node dist/graph-throughput.js [--quick] [--rounds N] [--messages N]` (`pnpm bench:graph`)
 *
 * Microsoft Graph sendMail throughput: `@mailplug/protocol-graph` against a hand-written `fetch`
 * loop, both posting to the same emulator endpoint in one run, on loopback. Both sides compose
 * each message with nodemailer's MailComposer, post the base64 MIME with the same app-only Graph
 * token, and keep at most 4 requests in flight for the mailbox (Graph's per-mailbox limit): the
 * raw side with 4 workers, Mailplug through its per-mailbox cap with every send started at once.
 * Each measured run is a fresh child process that warms up before timing (as the other figures);
 * the emulator lives in the parent. Rounds alternate which side goes first; the medians of the
 * rounds are compared. Goal ≥ 0.95×.
 * No assertion on wall-clock time: the figure is printed and written to results/graph-latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CredentialSource, ServerSettings } from '@mailplug/core';
import { DEFAULT_IDS, type Emulator, startEmulator } from '@mailplug/emulator';
import { createGraphProtocol } from '@mailplug/protocol-graph';
import MailComposer from 'nodemailer/lib/mail-composer';
import { runChild } from './child.js';
import { fixed, median, ratio } from './stats.js';

const CAP = 4;
const FROM = 'alice@contoso.test';
const TO = 'bob@contoso.test';
const BODY = 'Your appointment on Tuesday is confirmed. '.repeat(24);

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? undefined : process.argv[index + 1];
}
const quick = process.argv.includes('--quick');
const rounds = Number(option('rounds') ?? (quick ? 1 : 7));
const messages = Number(option('messages') ?? (quick ? 200 : 1000));
const warmUp = quick ? 50 : 500;

const message = (side: string, i: number) => ({ from: FROM, to: TO, subject: `${side} ${i}`, text: BODY });

async function graphToken(emulator: Emulator): Promise<string> {
  const tenantPath = new URL(emulator.urls.microsoftAuthority()).pathname;
  const response = await fetch(`${emulator.urls.http}${tenantPath}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: DEFAULT_IDS.daemonClientId,
      client_secret: DEFAULT_IDS.daemonSecret,
      scope: 'https://graph.microsoft.com/.default',
    }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no Graph token (${response.status})`);
  return body.access_token;
}

/** The hand-written loop: compose, base64, POST; 4 workers share the message counter. */
async function rawFetchRun(url: string, token: string, count: number, tag: string): Promise<number> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const raw = await new MailComposer({ ...message(tag, i), newline: 'windows' }).compile().build();
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
        body: raw.toString('base64'),
        signal: AbortSignal.timeout(30_000),
      });
      await response.arrayBuffer();
      if (response.status !== 202) throw new Error(`raw fetch: HTTP ${response.status}`);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CAP }, worker));
  return performance.now() - started;
}

async function mailplugRun(
  server: ServerSettings,
  source: CredentialSource,
  count: number,
  tag: string,
): Promise<number> {
  const connection = await createGraphProtocol({ basePath: '/graph', proxy: false }).connect(server, source);
  const started = performance.now();
  await Promise.all(Array.from({ length: count }, (_, i) => connection.send(message(tag, i))));
  const elapsed = performance.now() - started;
  await connection.close();
  return elapsed;
}

interface SideRequest {
  readonly side: 'mailplug' | 'raw';
  readonly url: string;
  readonly server: ServerSettings;
  readonly token: string;
  readonly count: number;
  readonly warmUp: number;
  readonly tag: string;
}

/** Child process: one side, warmed up, then timed. Replies msg/s. */
async function runSide(request: SideRequest): Promise<number> {
  const source: CredentialSource = {
    getCredential: async () => ({
      kind: 'oauth2',
      user: FROM,
      accessToken: request.token,
      expiresAt: Date.now() + 3_600_000,
      scopes: ['https://graph.microsoft.com/.default'],
    }),
  };
  const run = (count: number, tag: string) =>
    request.side === 'raw'
      ? rawFetchRun(request.url, request.token, count, tag)
      : mailplugRun(request.server, source, count, tag);
  await run(request.warmUp, `warm-${request.tag}`);
  const ms = await run(request.count, request.tag);
  return (request.count / ms) * 1000;
}

function childMain(): void {
  process.once('message', (request: SideRequest) => {
    runSide(request).then(
      (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
      (error: unknown) =>
        process.send?.({ ok: false, error: error instanceof Error ? error.message : String(error) }, () =>
          process.exit(1),
        ),
    );
  });
}

async function main(): Promise<void> {
  const emulator = await startEmulator({ mail: false });
  try {
    const token = await graphToken(emulator);
    // Plain http on loopback for both sides: the comparison is of the send path, not of TLS.
    const server: ServerSettings = {
      host: '127.0.0.1',
      port: emulator.ports.http,
      security: 'none',
      allowInsecureAuth: true,
      timeoutMs: 30_000,
    };
    const url = `${emulator.urls.http}/graph/v1.0/users/${encodeURIComponent(FROM)}/sendMail`;
    const delivered = () => emulator.mail.list(TO).length;
    const entry = fileURLToPath(import.meta.url);

    process.stdout.write(
      `[graph] ${os.cpus().length} cores, Node ${process.version}, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; ` +
        `${messages} messages per side per round after ${warmUp} warm-up, ${rounds} round(s), cap ${CAP} in flight per mailbox, each run a fresh process\n`,
    );

    const rows: { round: number; order: string; mailplug: number; raw: number; ratio: number }[] = [];
    for (let round = 1; round <= rounds; round++) {
      const mailplugFirst = round % 2 === 1;
      const sides = mailplugFirst ? (['mailplug', 'raw'] as const) : (['raw', 'mailplug'] as const);
      const rate: Record<'mailplug' | 'raw', number> = { mailplug: 0, raw: 0 };
      for (const side of sides) {
        const before = delivered();
        const request: SideRequest = {
          side,
          url,
          server,
          token,
          count: messages,
          warmUp,
          tag: `${side}-${round}`,
        };
        rate[side] = await runChild<number>(entry, request, { args: ['--child'], timeoutMs: 300_000 });
        if (delivered() - before !== messages + warmUp)
          throw new Error(`PROBLEM: ${side} delivered ${delivered() - before} of ${messages + warmUp}`);
      }
      const row = {
        round,
        order: mailplugFirst ? 'M, R' : 'R, M',
        ...rate,
        ratio: ratio(rate.mailplug, rate.raw),
      };
      rows.push(row);
      process.stdout.write(
        `[graph] round ${round} (${row.order}): Mailplug ${fixed(rate.mailplug)} msg/s, raw fetch ${fixed(rate.raw)} msg/s, ratio ${fixed(row.ratio, 3)}\n`,
      );
    }
    const mailplug = median(rows.map((r) => r.mailplug));
    const raw = median(rows.map((r) => r.raw));
    const result = ratio(mailplug, raw);
    process.stdout.write(
      `[graph] median: Mailplug ${fixed(mailplug)} msg/s, raw fetch ${fixed(raw)} msg/s — ratio ${fixed(result, 3)} (goal ≥ 0.95: ${result >= 0.95 ? 'met' : 'MISSED'})\n`,
    );
    const out = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'results', 'graph-latest.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(
      out,
      `${JSON.stringify(
        {
          figure: 'graph-throughput',
          at: new Date().toISOString(),
          machine: { cpus: os.cpus().length, node: process.version, loadAverage: os.loadavg() },
          messages,
          cap: CAP,
          rounds: rows,
          median: { mailplug, raw, ratio: result },
        },
        null,
        2,
      )}\n`,
    );
    process.stdout.write(`[graph] written to ${out}\n`);
  } finally {
    await emulator.stop();
  }
}

if (process.argv.includes('--child')) childMain();
else
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
