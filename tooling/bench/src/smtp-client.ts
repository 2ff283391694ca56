/**
 * Child process: one side (Mailplug or raw nodemailer) of a send benchmark. Started by the parent
 * with `fork`; receives an {@link SmtpChildRequest} over IPC and answers with an {@link SmtpChildResult}.
 * Both sides build the same message, use the same pool settings, TLS options and server.
 */
import { createMemoryTokenStore, createTokenManager, type OutgoingMessage } from '@mailplug/core';
import { createSmtpProtocol } from '@mailplug/protocol-smtp';
import nodemailer from 'nodemailer';
import type { RssSample, SmtpChildRequest, SmtpChildResult } from './smtp-job.js';
import { requestAccessToken } from './token-endpoint.js';

type SendOne = (index: number) => Promise<unknown>;

interface Sender {
  send: SendOne;
  close(): Promise<void>;
}

const BODY = `${'Mailplug benchmark body line, 64 characters of plain ASCII text.\n'.repeat(16)}`;

function message(index: number): OutgoingMessage {
  return { to: 'bob@example.test', subject: `Bench message ${index}`, text: BODY };
}

async function mailplugSender(request: SmtpChildRequest, maxQueued: number): Promise<Sender> {
  const { oauth, target, pool } = request;
  const store = createMemoryTokenStore();
  const client = {
    clientId: oauth.clientId,
    clientSecret: oauth.clientSecret,
    refreshToken: oauth.refreshToken,
    user: oauth.user,
  };
  const tokens = createTokenManager({
    accountId: 'bench',
    store,
    refresh: async () => ({ ...(await requestAccessToken(oauth.tokenUrl, client)), user: oauth.user }),
  });
  await tokens.save({
    // No usable token: an expired placeholder, so the first getCredential refreshes.
    accessToken: oauth.accessToken ?? 'expired-placeholder',
    expiresAt: oauth.accessToken ? Date.now() + 3_600_000 : Date.now() - 60_000,
    refreshToken: oauth.refreshToken,
    scopes: ['https://mail.google.com/'],
    user: oauth.user,
  });
  const protocol = createSmtpProtocol({ maxQueuedMessages: maxQueued });
  const connection = await protocol.connect(
    { host: target.host, port: target.port, security: 'starttls', tls: { ca: target.ca } },
    tokens,
    { pool: { maxConnections: pool.maxConnections, maxMessagesPerConnection: pool.maxMessages } },
  );
  return {
    send: (i) => connection.send(message(i)),
    close: async () => {
      await connection.close();
      tokens.dispose();
    },
  };
}

async function nodemailerSender(request: SmtpChildRequest): Promise<Sender> {
  const { oauth, target, pool } = request;
  // The same wire options the Mailplug adapter derives from `security: 'starttls'` + `tls.ca`.
  const transport = nodemailer.createTransport({
    host: target.host,
    port: target.port,
    secure: false,
    requireTLS: true,
    tls: { ca: [target.ca], rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    pool: true,
    maxConnections: pool.maxConnections,
    maxMessages: pool.maxMessages,
    auth: oauth.accessToken
      ? { type: 'OAuth2', user: oauth.user, accessToken: oauth.accessToken, expires: Date.now() + 3_600_000 }
      : {
          type: 'OAuth2',
          user: oauth.user,
          clientId: oauth.clientId,
          clientSecret: oauth.clientSecret,
          refreshToken: oauth.refreshToken,
          accessUrl: oauth.tokenUrl,
        },
  });
  transport.on('error', () => undefined);
  return {
    send: (i) => {
      const m = message(i);
      return transport.sendMail({
        from: oauth.user,
        to: m.to as string,
        subject: m.subject,
        text: m.text as string,
      });
    },
    close: async () => transport.close(),
  };
}

interface Outcome {
  sent: number;
  failed: number;
  firstError?: string;
}

function describe(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error) {
    return `${String((error as { code: unknown }).code)}: ${String((error as { message?: unknown }).message)}`;
  }
  return String(error);
}

async function sendAll(sender: Sender, from: number, count: number, outcome: Outcome): Promise<void> {
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    sends.push(
      sender.send(from + i).then(
        () => void outcome.sent++,
        (error: unknown) => {
          outcome.failed++;
          outcome.firstError ??= describe(error);
        },
      ),
    );
  }
  await Promise.all(sends);
}

/** Keeps `window` sends in flight; calls `onProgress` after each completion. */
async function sendWindowed(
  sender: Sender,
  count: number,
  window: number,
  outcome: Outcome,
  onProgress: (done: number) => void,
): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      try {
        await sender.send(index);
        outcome.sent++;
      } catch (error) {
        outcome.failed++;
        outcome.firstError ??= describe(error);
      }
      onProgress(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
}

async function run(request: SmtpChildRequest): Promise<SmtpChildResult> {
  const { job } = request;
  const maxQueued =
    job.kind === 'rss' ? job.window : job.kind === 'throughput' ? Math.max(job.warmup, job.count) : job.count;
  const sender =
    request.side === 'mailplug' ? await mailplugSender(request, maxQueued) : await nodemailerSender(request);
  const outcome: Outcome = { sent: 0, failed: 0 };
  let elapsedMs = 0;
  let cpuMicros: number | undefined;
  let samples: RssSample[] | undefined;
  let peakRss: number | undefined;

  if (job.kind === 'throughput') {
    const warm: Outcome = { sent: 0, failed: 0 };
    await sendAll(sender, 0, job.warmup, warm);
    if (warm.failed > 0) Object.assign(outcome, { failed: warm.failed, firstError: warm.firstError });
    const cpuBefore = process.cpuUsage();
    const start = process.hrtime.bigint();
    await sendAll(sender, job.warmup, job.count, outcome);
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
    const cpu = process.cpuUsage(cpuBefore);
    cpuMicros = cpu.user + cpu.system;
  } else if (job.kind === 'burst') {
    const start = process.hrtime.bigint();
    await sendAll(sender, 0, job.count, outcome);
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  } else {
    const collected: RssSample[] = [];
    const sample = (sent: number) => {
      const usage = process.memoryUsage();
      peakRss = Math.max(peakRss ?? 0, usage.rss);
      // RSS first (as the OS sees it), then a full GC to read what is really still referenced.
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc) gc();
      collected.push({
        sent,
        rss: usage.rss,
        heapUsed: usage.heapUsed,
        ...(gc ? { liveHeap: process.memoryUsage().heapUsed } : {}),
      });
    };
    sample(0);
    const start = process.hrtime.bigint();
    await sendWindowed(sender, job.count, job.window, outcome, (done) => {
      if (done % job.sampleEvery === 0) sample(done);
      else peakRss = Math.max(peakRss ?? 0, process.memoryUsage.rss());
    });
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
    samples = collected;
  }
  await sender.close();
  return {
    side: request.side,
    sent: outcome.sent,
    failed: outcome.failed,
    ...(outcome.firstError ? { firstError: outcome.firstError } : {}),
    elapsedMs,
    ...(cpuMicros !== undefined ? { cpuMicros } : {}),
    ...(samples ? { samples } : {}),
    ...(peakRss !== undefined ? { peakRss } : {}),
  };
}

process.once('message', (request: SmtpChildRequest) => {
  run(request).then(
    (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
    (error: unknown) => process.send?.({ ok: false, error: describe(error) }, () => process.exit(1)),
  );
});
