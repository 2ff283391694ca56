import {
  type ConnectOptions,
  CoreErrorCode,
  type CredentialSource,
  isMailplugError,
  type MailCredential,
  MailplugError,
  type OutgoingMessage,
  type SendConnection,
  type SendOptions,
  type SendResult,
  type ServerSettings,
} from '@mailplug/core';
import { toMailOptions } from '@mailplug/mime';
import type { SendMailOptions } from 'nodemailer';
import {
  classifySmtpError,
  ORIGINAL_ERROR,
  type SmtpClassificationContext,
  SmtpErrorCode,
} from './classify.js';
import { createProvisionCallback } from './credential-hook.js';
import { smtpDeadlines } from './deadlines.js';
import { DELIVERY_PROGRESS_OPTION, type DeliveryProgress, newDeliveryProgress } from './delivery-progress.js';
import { resolveSmtpProxy, type SmtpProxyOptions } from './proxy.js';
import { toSendResult } from './send-result.js';
import { createSendSlots } from './send-slots.js';
import { assertSmtpCredentialTransport, wireOptions } from './server-options.js';
import { checkReachable, createSmtpTransport } from './smtp-transport.js';
import { authenticateXOAuth2 } from './xoauth2-auth.js';

export interface SmtpConnectionSettings extends SmtpProxyOptions {
  /**
   * How many `send()` calls may wait for a free connection before further calls are refused with
   * `SMTP_QUEUE_FULL` (action `retry`). Default 1000. Messages are handed to nodemailer only when a
   * connection is free, so nodemailer's own (unbounded) queue never grows past `maxConnections`.
   */
  readonly maxQueuedMessages?: number;
}

const DEFAULT_MAX_QUEUED = 1000;
const MAY_HAVE_BEEN_DELIVERED = ' The server may already have received the message.';

function closedError(): MailplugError {
  return new MailplugError({
    code: SmtpErrorCode.ConnectionClosed,
    action: 'developer',
    message: 'send() was called on a closed SMTP connection.',
    hint: 'Open a new connection with protocol.connect() before sending.',
  });
}

function cancelledError(reason: unknown, mayHaveBeenDelivered: boolean): MailplugError {
  return new MailplugError({
    code: CoreErrorCode.SendCancelled,
    action: 'retry',
    message: `The SMTP send was cancelled by the caller.${mayHaveBeenDelivered ? MAY_HAVE_BEEN_DELIVERED : ''}`,
    hint: 'Send the message again when the host is ready.',
    cause: reason,
    details: { mayHaveBeenDelivered },
  });
}

/** A copy of `error` with more details (MailplugError fields are read-only). */
function withDetails(error: MailplugError, extra: Record<string, unknown>): MailplugError {
  return new MailplugError({
    code: error.code,
    action: error.action,
    message: error.message,
    hint: error.hint,
    cause: error.cause,
    details: { ...error.details, ...extra },
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
  });
}

/** The server sent no reply to the end of data: the connection failed or the deadline passed. */
function deliveryUnconfirmed(cause: MailplugError): MailplugError {
  return new MailplugError({
    code: SmtpErrorCode.DeliveryUnconfirmed,
    action: 'retry',
    message: `The whole message was sent but the server's confirmation never arrived (${cause.code}).${MAY_HAVE_BEEN_DELIVERED}`,
    hint: 'Check whether the message arrived (the recipient, or the mailbox’s Sent items) before sending it again; it is never re-sent automatically, so that nobody receives it twice.',
    cause,
    details: { ...cause.details, reason: cause.code, mayHaveBeenDelivered: true },
  });
}

/**
 * A session that turned out to be unusable before the message started: the server closed an idle
 * pooled connection, answered `421`, or reset the connection before the content was sent. Never a
 * timeout (its deadline is spent), a refused connection or a reply about the message itself.
 */
function isStaleSession(error: MailplugError): boolean {
  const replyCode = error.details?.replyCode;
  if (replyCode === 421) return true;
  return error.code === SmtpErrorCode.ConnectionLost && replyCode === undefined;
}

/**
 * Opens an SMTP send connection: one nodemailer transport (pooled or one session per send) whose
 * credentials come from `credentials` on every login.
 */
export async function connectSmtp(
  server: ServerSettings,
  credentials: CredentialSource,
  options: ConnectOptions = {},
  settings: SmtpConnectionSettings = {},
): Promise<SendConnection> {
  const wire = wireOptions(server, options.clientName);
  const deadlines = smtpDeadlines(server);
  const proxy = resolveSmtpProxy(server, settings);
  // One silent call learns the credential kind and mailbox; the source caches, so this costs no extra token.
  const first: MailCredential = await credentials.getCredential({
    protocol: 'smtp',
    ...(options.signal ? { signal: options.signal } : {}),
  });
  assertSmtpCredentialTransport(server);
  // nodemailer connects lazily, on the first send: fail fast for a wrong host, port or proxy.
  await checkReachable(server, deadlines.connectMs, proxy);

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
  const transport = createSmtpTransport({ wire, login, pool, proxy });
  const slots = createSendSlots(
    pool ? (pool.maxConnections ?? 5) : 1,
    settings.maxQueuedMessages ?? DEFAULT_MAX_QUEUED,
  );
  const context: SmtpClassificationContext = {
    credentialKind: first.kind,
    host: server.host,
    port: server.port,
    ...(proxy ? { proxy: proxy.endpoint } : {}),
  };
  let closed = false;
  let drained: (() => void) | undefined;

  const attempt = async (
    message: OutgoingMessage,
    signal: AbortSignal,
    progress: DeliveryProgress,
  ): Promise<SendResult> => {
    const mail = {
      ...toMailOptions(message, first.user),
      signal,
      [DELIVERY_PROGRESS_OPTION]: progress,
    } as SendMailOptions;
    return toSendResult((await transport.sendMail(mail)) as Parameters<typeof toSendResult>[0]);
  };

  /** What a failed attempt means, given how far it got and which signal (if any) ended it. */
  const explain = (
    error: unknown,
    progress: DeliveryProgress,
    cancelled: AbortSignal | undefined,
    deadline: AbortSignal,
  ): MailplugError => {
    if (cancelled?.aborted) return cancelledError(cancelled.reason, progress.contentEnded);
    const passedThrough =
      isMailplugError(error) || isMailplugError((error as { [ORIGINAL_ERROR]?: unknown })?.[ORIGINAL_ERROR]);
    const classified = deadline.aborted
      ? new MailplugError({
          code: SmtpErrorCode.Timeout,
          action: 'retry',
          message: `Sending over SMTP did not finish within ${deadlines.sendMs} ms.`,
          hint: 'Try again later; if it keeps happening check the network path to the server and raise server.timeoutMs (the whole send may take 3 × timeoutMs).',
          cause: error,
          details: {
            timeout: 'SEND_DEADLINE',
            deadlineMs: deadlines.sendMs,
            host: server.host,
            port: server.port,
          },
        })
      : classifySmtpError(error, context);
    if (passedThrough) return classified;
    // A reply to the end of data means the server decided; no reply means nobody knows.
    if (progress.contentEnded && classified.details?.replyCode === undefined)
      return deliveryUnconfirmed(classified);
    return withDetails(classified, { mayHaveBeenDelivered: false });
  };

  const send = async (message: OutgoingMessage, sendOptions: SendOptions = {}): Promise<SendResult> => {
    if (closed) throw closedError();
    const callerSignals = [options.signal, sendOptions.signal].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const cancelled = callerSignals.length > 1 ? AbortSignal.any(callerSignals) : callerSignals[0];
    if (cancelled?.aborted) throw cancelledError(cancelled.reason, false);
    await slots.acquire(cancelled, () => cancelledError(cancelled?.reason, false));
    // The whole send (a retry included) is bounded from the moment a connection is free.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), deadlines.sendMs);
    const signal = cancelled ? AbortSignal.any([cancelled, deadline.signal]) : deadline.signal;
    let reconnected = false;
    let refreshed = false;
    try {
      for (;;) {
        const progress = newDeliveryProgress();
        try {
          return await attempt(message, signal, progress);
        } catch (error) {
          const failure = explain(error, progress, cancelled, deadline.signal);
          if (signal.aborted || progress.contentStarted) throw failure;
          if (!reconnected && isStaleSession(failure)) {
            // Nothing of the message reached the server: one more try on a fresh session
            // (the pool already dropped the dead one; the login asks the source for a credential again).
            reconnected = true;
            continue;
          }
          if (!refreshed && failure.code === SmtpErrorCode.TokenExpiringSoon && first.kind === 'oauth2') {
            // 501 5.5.127: the token was about to expire. Refresh now and try exactly once more.
            refreshed = true;
            refresh.forceNextRefresh = true;
            continue;
          }
          throw failure;
        }
      }
    } finally {
      clearTimeout(timer);
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
