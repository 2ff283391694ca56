import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { MailplugError } from '../spec/v1/mailplug-error.js';

export interface SendDeadline {
  /** Aborted when the caller's signal aborts or the deadline passes. */
  readonly signal: AbortSignal;
  /** Settles with `work`, or rejects with the classified abort as soon as `signal` aborts. */
  race<T>(work: Promise<T>): Promise<T>;
  /** The message was handed to the protocol: from now on an abort may follow a delivery. */
  markHandedOver(): void;
  clear(): void;
}

/**
 * One send's deadline. Racing the work against the signal means a protocol or provider that
 * ignores the signal still cannot hold the caller past the deadline.
 */
export function createSendDeadline(
  accountId: string,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): SendDeadline {
  const controller = new AbortController();
  let handedOver = false;
  const timer = setTimeout(() => controller.abort(sendTimedOut(accountId, timeoutMs, handedOver)), timeoutMs);
  timer.unref?.();
  const onCallerAbort = () => controller.abort(sendCancelled(accountId, callerSignal?.reason, handedOver));
  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  const { signal } = controller;
  return {
    signal,
    race(work) {
      if (signal.aborted) {
        work.catch(() => {});
        return Promise.reject(signal.reason);
      }
      return new Promise((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        work.then(
          (value) => {
            signal.removeEventListener('abort', onAbort);
            resolve(value);
          },
          (error: unknown) => {
            signal.removeEventListener('abort', onAbort);
            // After an abort the work's own rejection is the protocol reacting to it; the
            // classified abort reason already went to the caller.
            if (!signal.aborted) reject(error);
          },
        );
      });
    },
    markHandedOver() {
      handedOver = true;
    },
    clear() {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    },
  };
}

const MAYBE_DELIVERED = ' The server may already have received the message.';

function sendTimedOut(accountId: string, timeoutMs: number, handedOver: boolean): MailplugError {
  return mailplugError(
    CoreErrorCode.Timeout,
    'retry',
    `Sending from account "${accountId}" did not finish within ${timeoutMs} ms.${handedOver ? MAYBE_DELIVERED : ''}`,
    'Try again later; if it keeps timing out, check that this machine can reach the mail server and the identity provider.',
    { details: { accountId, timeoutMs, mayHaveBeenDelivered: handedOver } },
  );
}

function sendCancelled(accountId: string, reason: unknown, handedOver: boolean): MailplugError {
  return mailplugError(
    CoreErrorCode.SendCancelled,
    'retry',
    `Sending from account "${accountId}" was cancelled by the host.${handedOver ? MAYBE_DELIVERED : ''}`,
    'Send the message again when the host is ready.',
    { cause: reason, details: { accountId, mayHaveBeenDelivered: handedOver } },
  );
}
