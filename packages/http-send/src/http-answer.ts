import { type ErrorAction, MailplugError } from '@mailplug/core';

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Makes one of the errors an HTTP answer can mean; `extra` adds to the answer's details. */
export type AnswerErrorFactory<Code extends string> = (
  code: Code,
  action: ErrorAction,
  message: string,
  hint: string,
  extra?: Record<string, unknown>,
) => MailplugError;

/**
 * The error factory for one refused answer: every error carries `details` (status, the API's own
 * error code, the mailbox...), and those the caller may retry carry `wait` as `retryAfterMs`.
 *
 * @example
 * const fail = answerErrors<GraphErrorCode>({ status: response.status, mailbox }, retryAfterMs(response.headers.get('retry-after')));
 * if (response.status === 429) return fail(GraphErrorCode.Throttled, 'retry', 'Graph throttled the mailbox.', 'Send later.');
 */
export function answerErrors<Code extends string>(
  details: Record<string, unknown>,
  wait: number | undefined,
): AnswerErrorFactory<Code> {
  return (code, action, message, hint, extra = {}) =>
    new MailplugError({
      code,
      action,
      message,
      hint,
      details: { ...details, ...extra },
      ...(wait !== undefined && action === 'retry' ? { retryAfterMs: wait } : {}),
    });
}
