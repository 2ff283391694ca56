import net from 'node:net';
import type {
  ConnectOptions,
  CredentialSource,
  MailCredential,
  OutgoingMessage,
  SendConnection,
  SendResult,
  ServerSettings,
} from '@mailplug/core';
import { MailplugError } from '@mailplug/core';
import nodemailer from 'nodemailer';
import { classifySmtpError, SmtpErrorCode } from './classify.js';
import { createProvisionCallback } from './credential-hook.js';
import { toMailOptions, toSendResult } from './message.js';
import { assertSmtpCredentialTransport, wireOptions } from './server-options.js';
import { authenticateXOAuth2 } from './xoauth2-auth.js';

export interface SmtpConnectionLimits {
  /**
   * How many `send()` calls may wait for a free connection before further calls are refused with
   * `SMTP_QUEUE_FULL` (action `retry`). Default 1000. Messages are handed to nodemailer only when a
   * connection is free, so nodemailer's own (unbounded) queue never grows past `maxConnections`.
   */
  readonly maxQueuedMessages?: number;
}

const DEFAULT_MAX_QUEUED = 1000;

/** A FIFO counting semaphore with a bounded wait list: the backpressure in front of the pool. */
function createSlots(capacity: number, maxWaiting: number) {
  let busy = 0;
  const waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  return {
    get pending() {
      return busy + waiting.length;
    },
    acquire(): Promise<void> {
      if (busy < capacity) {
        busy++;
        return Promise.resolve();
      }
      if (waiting.length >= maxWaiting) {
        return Promise.reject(
          new MailplugError({
            code: SmtpErrorCode.QueueFull,
            action: 'retry',
            message: `More than ${maxWaiting} messages are waiting for an SMTP connection.`,
            hint: 'Await earlier send() calls before sending more, or raise maxQueuedMessages / pool.maxConnections.',
          }),
        );
      }
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    release() {
      const next = waiting.shift();
      if (next) next.resolve();
      else busy--;
    },
    rejectWaiting(error: unknown) {
      for (const w of waiting.splice(0)) w.reject(error);
    },
  };
}

function closedError(): MailplugError {
  return new MailplugError({
    code: SmtpErrorCode.ConnectionClosed,
    action: 'developer',
    message: 'send() was called on a closed SMTP connection.',
    hint: 'Open a new connection with protocol.connect() before sending.',
  });
}

/**
 * nodemailer connects lazily, on the first send. A TCP connect here makes `connect()` fail fast for a
 * wrong host or port (classified: refused / not found / timeout) without spending a login.
 */
async function checkReachable(server: ServerSettings, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host: server.host, port: server.port });
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(Object.assign(new Error('Connection timed out'), { code: 'ETIMEDOUT' })),
    );
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) =>
      reject(classifySmtpError(error, { host: server.host, port: server.port })),
    );
  });
}

/**
 * Opens an SMTP send connection: one nodemailer transport (pooled or single-send) whose
 * credentials come from `credentials` on every login.
 */
export async function connectSmtp(
  server: ServerSettings,
  credentials: CredentialSource,
  options: ConnectOptions = {},
  limits: SmtpConnectionLimits = {},
): Promise<SendConnection> {
  const wire = wireOptions(server, options.clientName);
  // One silent call learns the credential kind and mailbox; the source caches, so this costs no extra token.
  const first: MailCredential = await credentials.getCredential({
    protocol: 'smtp',
    ...(options.signal ? { signal: options.signal } : {}),
  });
  assertSmtpCredentialTransport(server);
  await checkReachable(server, wire.connectionTimeout ?? 30_000);

  const refresh = { forceNextRefresh: false };
  const auth =
    first.kind === 'password'
      ? { user: first.user, pass: first.password }
      : {
          type: 'OAuth2' as const,
          user: first.user,
          provisionCallback: createProvisionCallback(credentials, refresh),
        };

  // Our XOAUTH2 keeps long (Microsoft) tokens off the AUTH line; password logins stay nodemailer's.
  const login = first.kind === 'oauth2' ? { auth, customAuth: { XOAUTH2: authenticateXOAuth2 } } : { auth };
  const pool = options.pool === false || options.pool === undefined ? undefined : options.pool;
  const capacity = pool ? (pool.maxConnections ?? 5) : 1;
  const transport = pool
    ? nodemailer.createTransport({
        ...wire,
        ...login,
        pool: true,
        maxConnections: capacity,
        maxMessages: pool.maxMessagesPerConnection ?? 100,
        ...(pool.rateLimitPerSecond ? { rateLimit: pool.rateLimitPerSecond, rateDelta: 1000 } : {}),
      })
    : nodemailer.createTransport({ ...wire, ...login });
  // The pool reports idle-connection failures as events; sends report their own errors.
  transport.on('error', () => undefined);

  const slots = createSlots(capacity, limits.maxQueuedMessages ?? DEFAULT_MAX_QUEUED);
  const context = { credentialKind: first.kind, host: server.host, port: server.port };
  let closed = false;
  let drained: (() => void) | undefined;

  const sendOnce = async (message: OutgoingMessage): Promise<SendResult> => {
    try {
      const info = await transport.sendMail({
        ...toMailOptions(message, first.user),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return toSendResult(info as Parameters<typeof toSendResult>[0]);
    } catch (error) {
      throw classifySmtpError(error, context);
    }
  };

  const send = async (message: OutgoingMessage): Promise<SendResult> => {
    if (closed) throw closedError();
    await slots.acquire();
    try {
      try {
        return await sendOnce(message);
      } catch (error) {
        // 501 5.5.127: the token was about to expire. Refresh now and try exactly once more.
        if (
          error instanceof MailplugError &&
          error.code === SmtpErrorCode.TokenExpiringSoon &&
          first.kind === 'oauth2'
        ) {
          refresh.forceNextRefresh = true;
          return await sendOnce(message);
        }
        throw error;
      }
    } finally {
      slots.release();
      if (closed && slots.pending === 0) drained?.();
    }
  };

  return {
    direction: 'send',
    send,
    async close() {
      if (closed) return;
      closed = true;
      if (slots.pending > 0) await new Promise<void>((resolve) => (drained = resolve));
      transport.close();
    },
    dispose() {
      closed = true;
      slots.rejectWaiting(closedError());
      transport.close();
    },
  };
}
