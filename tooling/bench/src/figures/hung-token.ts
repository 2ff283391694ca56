import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createMemoryTokenStore,
  createTokenManager,
  DEFAULT_REFRESH_CEILING_MS,
  DEFAULT_TOKEN_REQUEST_TIMEOUT_MS,
  isMailplugError,
} from '@mailplug/core';
import { createSmtpProtocol } from '@mailplug/protocol-smtp';
import nodemailer from 'nodemailer';
import { type FigureResult, figureLog } from '../figure.js';
import { startSmtpBenchFixture } from '../smtp-fixture.js';
import { requestAccessToken } from '../token-endpoint.js';

/** How long the nodemailer side is given before it is recorded as "still pending". */
const NODEMAILER_CAP_MS = 45_000;

interface BlackHole {
  readonly url: string;
  readonly held: number;
  close(): Promise<void>;
}

/** A token endpoint that accepts every request and never answers. */
async function startBlackHole(): Promise<BlackHole> {
  const held: ServerResponse[] = [];
  const server = createServer((_req, res) => void held.push(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/token`,
    get held() {
      return held.length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Figure 6: a token endpoint that accepts the connection and never answers. Time from the send to
 * a classified error: Mailplug (core TokenManager + SMTP adapter, with its default deadlines and
 * with a short configured one) vs nodemailer's own OAuth2 helper given the same `accessUrl`.
 */
export async function hungTokenFigure(ctx: { quick: boolean }): Promise<FigureResult> {
  const { lines, log } = figureLog('hung-token');
  const fixture = await startSmtpBenchFixture();
  const hole = await startBlackHole();
  const oauth = { ...fixture.coldOAuth, tokenUrl: hole.url };
  const client = {
    clientId: oauth.clientId,
    clientSecret: oauth.clientSecret,
    refreshToken: oauth.refreshToken,
    user: oauth.user,
  };
  const message = { from: oauth.user, to: 'bob@example.test', subject: 'Reminder', text: 'Tomorrow at 9.' };

  async function mailplugSide(config: { requestTimeoutMs?: number; maxTotalMs?: number }) {
    const tokens = createTokenManager({
      accountId: 'bench',
      store: createMemoryTokenStore(),
      refresh: async () => ({ ...(await requestAccessToken(oauth.tokenUrl, client)), user: oauth.user }),
      ...(config.requestTimeoutMs !== undefined ? { requestTimeoutMs: config.requestTimeoutMs } : {}),
      ...(config.maxTotalMs !== undefined ? { retry: { maxTotalMs: config.maxTotalMs } } : {}),
    });
    await tokens.save({
      accessToken: 'expired-placeholder',
      expiresAt: Date.now() - 60_000,
      refreshToken: oauth.refreshToken,
      scopes: ['https://mail.google.com/'],
      user: oauth.user,
    });
    const t0 = performance.now();
    let outcome: string;
    const protocol = createSmtpProtocol();
    let connection: Awaited<ReturnType<typeof protocol.connect>> | undefined;
    try {
      // Connecting already asks for a credential (the adapter fails fast), so it is timed too.
      connection = await protocol.connect(
        {
          host: fixture.target.host,
          port: fixture.target.port,
          security: 'starttls',
          tls: { ca: fixture.target.ca },
        },
        tokens,
      );
      await connection.send(message);
      outcome = 'sent (unexpected)';
    } catch (error) {
      outcome = isMailplugError(error) ? `${error.code} (${error.action})` : `unclassified: ${String(error)}`;
    }
    const ms = performance.now() - t0;
    await connection?.close();
    tokens.dispose();
    return { ms, outcome };
  }

  async function nodemailerSide() {
    const transport = nodemailer.createTransport({
      host: fixture.target.host,
      port: fixture.target.port,
      secure: false,
      requireTLS: true,
      tls: { ca: [fixture.target.ca], rejectUnauthorized: true },
      auth: { type: 'OAuth2', ...client, accessUrl: oauth.tokenUrl },
    });
    const t0 = performance.now();
    const capped = new Promise<string>((resolve) =>
      setTimeout(() => resolve('still pending'), NODEMAILER_CAP_MS).unref(),
    );
    const outcome = await Promise.race([
      transport.sendMail(message).then(
        () => 'sent (unexpected)',
        (error: unknown) => `error: ${(error as { code?: string }).code ?? (error as Error).message}`,
      ),
      capped,
    ]);
    const ms = performance.now() - t0;
    transport.close();
    return { ms, outcome };
  }

  try {
    log('token endpoint: accepts the connection, never answers');
    const configured = { requestTimeoutMs: 2_000, maxTotalMs: 5_000 };
    const short = await mailplugSide(configured);
    log(
      `Mailplug, deadline ${configured.requestTimeoutMs} ms per request / ${configured.maxTotalMs} ms in all: ${short.outcome} after ${(short.ms / 1000).toFixed(2)} s`,
    );
    const defaults = ctx.quick ? undefined : await mailplugSide({});
    if (defaults) {
      log(
        `Mailplug, defaults (${DEFAULT_TOKEN_REQUEST_TIMEOUT_MS} ms per request / ${DEFAULT_REFRESH_CEILING_MS} ms in all): ${defaults.outcome} after ${(defaults.ms / 1000).toFixed(2)} s`,
      );
    }
    const raw = ctx.quick ? undefined : await nodemailerSide();
    if (raw)
      log(
        `nodemailer OAuth2 helper: ${raw.outcome} after ${(raw.ms / 1000).toFixed(2)} s (cap ${NODEMAILER_CAP_MS / 1000} s)`,
      );
    const goalMet =
      short.ms <= configured.maxTotalMs + 1_000 &&
      short.outcome.includes('(retry)') &&
      (!defaults ||
        (defaults.ms <= DEFAULT_REFRESH_CEILING_MS + 1_000 && defaults.outcome.includes('(retry)')));
    return {
      id: 'hung-token',
      title: 'Hung token endpoint: time to a classified error',
      ran: true,
      lines,
      goal: 'a classified retry error within the configured deadline (default ≤ 30 s)',
      goalMet,
      data: {
        configured: { ...configured, ...short },
        defaults,
        nodemailer: raw,
        capMs: NODEMAILER_CAP_MS,
        requestsHeld: hole.held,
      },
    };
  } finally {
    await hole.close();
    await fixture.close();
  }
}
