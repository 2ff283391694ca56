/**
 * What the worker does with a failed attempt: retry later, hold the account until a sign-in,
 * pause the mailbox (a server quota), or fail the message with the classified error.
 */
import {
  backoffDelay,
  isMailplugError,
  type MailplugError,
  type MailplugErrorJSON,
  mailplugError,
} from '@mailplug/core';
import { OutboxErrorCode } from './errors.js';

export interface RetryPolicy {
  /** Attempts per message before it fails with OUTBOX_RETRIES_EXHAUSTED. Default 8. */
  readonly maxAttempts?: number;
  /** How long after enqueue (or a manual retry) a message may still be retried. Default 3 days. */
  readonly maxAgeMs?: number;
  /** Backoff step after the first failure. Default 30 s. */
  readonly initialDelayMs?: number;
  /** Backoff ceiling. Default 30 min. */
  readonly maxDelayMs?: number;
  /** Randomized fraction of each step (0..1). Default 0.5. */
  readonly jitter?: number;
}

export interface QuotaPolicy {
  /** Pause after `432 4.3.2` (too many concurrent submissions). Default: the error's `retryAfterMs`, else 60 s. */
  readonly concurrencyPauseMs?: number;
  /** Pause after a daily quota reply (`554 5.2.0 … SubmissionQuotaExceeded`, Gmail `5.4.5`). Default: the error's `retryAfterMs`, else 1 hour. */
  readonly dailyQuotaPauseMs?: number;
}

export type Decision =
  | { readonly kind: 'hold'; readonly error: MailplugError }
  | { readonly kind: 'retry'; readonly error: MailplugError; readonly notBefore: number }
  | { readonly kind: 'quota'; readonly error: MailplugError; readonly pauseUntil: number }
  | { readonly kind: 'fail'; readonly error: MailplugError };

/** Errors of one message, not of the account: every recipient refused. They fail only that message. */
const MESSAGE_LEVEL_CODES = new Set(['SMTP_RECIPIENTS_REJECTED']);

/** The error itself and its causes, outermost first. */
function chain(error: unknown): unknown[] {
  const out: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && out.length < 8 && !out.includes(current)) {
    out.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return out;
}

/** Which server quota, if any, the failure reports (by SMTP reply and enhanced status). */
export function quotaKind(error: unknown): 'concurrency' | 'daily' | undefined {
  for (const link of chain(error)) {
    const e = link as { code?: unknown; message?: unknown; details?: Record<string, unknown> };
    if (e.code === 'SMTP_MAILBOX_CONCURRENCY_LIMIT') return 'concurrency';
    if (e.code === 'SMTP_SUBMISSION_QUOTA_EXCEEDED') return 'daily';
    const details = e.details ?? {};
    const reply = Number(details.replyCode);
    const status = typeof details.enhancedStatus === 'string' ? details.enhancedStatus : undefined;
    const text = `${typeof details.response === 'string' ? details.response : ''} ${typeof e.message === 'string' ? e.message : ''}`;
    if ((reply === 432 && status === '4.3.2') || /\b432 4\.3\.2\b/.test(text)) return 'concurrency';
    if (/SubmissionQuotaExceeded/i.test(text) && (status === '5.2.0' || /\b5\.2\.0\b/.test(text)))
      return 'daily';
    // Gmail: "550 5.4.5 Daily user sending limit exceeded".
    if (status === '5.4.5' || /\b5\.4\.5\b.*(limit|quota)/i.test(text)) return 'daily';
  }
  return undefined;
}

function asMailplugError(error: unknown): MailplugError {
  if (isMailplugError(error)) return error;
  return mailplugError(
    OutboxErrorCode.Unclassified,
    'retry',
    'Sending failed with an error Mailplug could not classify.',
    'The message is retried with backoff; if it keeps failing, report the error (in the attempt history) as a Mailplug bug.',
    { cause: error },
  );
}

export interface DecisionInput {
  readonly error: unknown;
  /** Attempts counted so far, including the one that just failed. */
  readonly attempts: number;
  readonly windowStart: number;
  readonly now: number;
  readonly retry: RetryPolicy;
  readonly quota: QuotaPolicy;
  readonly random?: () => number;
}

export function decide(input: DecisionInput): Decision {
  const error = asMailplugError(input.error);
  const quota = quotaKind(input.error);
  if (quota) {
    // The host's policy first, then the wait the error suggests, then the defaults.
    const pause =
      (quota === 'concurrency' ? input.quota.concurrencyPauseMs : input.quota.dailyQuotaPauseMs) ??
      error.retryAfterMs ??
      (quota === 'concurrency' ? 60_000 : 3_600_000);
    return { kind: 'quota', error, pauseUntil: input.now + pause };
  }
  if (error.action === 'user' && !MESSAGE_LEVEL_CODES.has(error.code)) return { kind: 'hold', error };
  if (error.action !== 'retry') return { kind: 'fail', error };

  const maxAttempts = input.retry.maxAttempts ?? 8;
  const maxAgeMs = input.retry.maxAgeMs ?? 3 * 86_400_000;
  const delay = Math.max(
    backoffDelay(
      input.attempts,
      {
        initialDelayMs: input.retry.initialDelayMs ?? 30_000,
        maxDelayMs: input.retry.maxDelayMs ?? 30 * 60_000,
        jitter: input.retry.jitter ?? 0.5,
      },
      input.random,
    ),
    error.retryAfterMs ?? 0,
  );
  if (input.attempts >= maxAttempts) {
    return {
      kind: 'fail',
      error: mailplugError(
        OutboxErrorCode.RetriesExhausted,
        'admin',
        `Sending failed ${input.attempts} times with temporary errors; the last was ${error.code}: ${error.message}`,
        `Fix what the last error names (${error.hint}) and then call outbox.retry(id) to send it again.`,
        { cause: error, details: { attempts: input.attempts, lastCode: error.code } },
      ),
    };
  }
  if (input.now + delay - input.windowStart > maxAgeMs) {
    return {
      kind: 'fail',
      error: mailplugError(
        OutboxErrorCode.Expired,
        'admin',
        `The message could not be sent within ${Math.round(maxAgeMs / 60_000)} minutes; the last error was ${error.code}: ${error.message}`,
        `Fix what the last error names (${error.hint}) and then call outbox.retry(id) to send it again.`,
        { cause: error, details: { attempts: input.attempts, lastCode: error.code } },
      ),
    };
  }
  return { kind: 'retry', error, notBefore: input.now + delay };
}

/** The error as kept in a store: the JSON form, whose cause is only a redacted summary line. */
export function storedError(error: MailplugError): MailplugErrorJSON {
  return error.toJSON();
}
