/**
 * `node dist/run.js [--only smtp,tokens,cold-start,rss,receive] [--quick] [--rounds N] [--out file]`
 * Runs the side-by-side benchmarks, prints one labelled line per measurement plus each ratio, and
 * writes every figure to results/latest.json (or --out). No figure asserts on wall-clock time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FigureId, parseArgs } from './args.js';
import type { FigureResult } from './figure.js';
import { coldStartFigure } from './figures/cold-start.js';
import { hungTokenFigure } from './figures/hung-token.js';
import { receiveFigure } from './figures/receive.js';
import { rssFigure } from './figures/rss.js';
import { smtpThroughputFigure } from './figures/smtp-throughput.js';
import { tokenRequestsFigure } from './figures/token-requests.js';

const args = parseArgs(process.argv.slice(2));
const options = { quick: args.quick, ...(args.rounds !== undefined ? { rounds: args.rounds } : {}) };

const figures: Record<FigureId, () => Promise<FigureResult>> = {
  smtp: () => smtpThroughputFigure(options),
  tokens: () => tokenRequestsFigure(options),
  'cold-start': () => coldStartFigure(options),
  rss: () => rssFigure(options),
  receive: () => receiveFigure(options),
  'hung-token': () => hungTokenFigure(options),
};

const machine = {
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  totalMemoryMiB: Math.round(os.totalmem() / 1024 / 1024),
  node: process.version,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
};

async function main(): Promise<void> {
  const startedAt = new Date();
  process.stdout.write(
    `Mailplug bench — ${machine.cpus} cores (${machine.cpuModel}), Node ${machine.node}, load ${machine.loadAverageAtStart.join(' ')}${args.quick ? ', QUICK mode' : ''}\n`,
  );
  const results: FigureResult[] = [];
  for (const id of args.only) {
    const t0 = performance.now();
    try {
      results.push(await figures[id]());
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      process.stdout.write(`[${id}] FAILED: ${message}\n`);
      results.push({ id, title: id, ran: false, skippedReason: `failed: ${message}`, lines: [], data: {} });
    }
    process.stdout.write(`[${id}] (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  }
  const report = {
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    command: `node dist/run.js ${process.argv.slice(2).join(' ')}`.trim(),
    quick: args.quick,
    machine: { ...machine, loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    figures: results,
  };
  const out = args.out
    ? resolve(args.out)
    : resolve(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'latest.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write('\nSummary\n');
  for (const r of results) {
    const verdict = !r.ran
      ? `not run (${r.skippedReason})`
      : r.goalMet === undefined
        ? 'no goal'
        : r.goalMet
          ? 'goal met'
          : 'GOAL MISSED';
    process.stdout.write(`  ${r.id.padEnd(11)} ${verdict}${r.goal ? ` — ${r.goal}` : ''}\n`);
  }
  process.stdout.write(`Results written to ${out} (${report.durationSeconds} s)\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
