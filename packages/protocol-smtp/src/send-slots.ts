import { MailplugError } from '@mailplug/core';
import { SmtpErrorCode } from './classify.js';

/**
 * A FIFO counting semaphore with a bounded wait list: the backpressure in front of the pool.
 * A waiting `acquire` gives up when its signal aborts (the caller cancelled while queued).
 */
export function createSendSlots(capacity: number, maxWaiting: number) {
  let busy = 0;
  interface Waiter {
    resolve(): void;
    reject(error: unknown): void;
  }
  const waiting: Waiter[] = [];
  return {
    get pending() {
      return busy + waiting.length;
    },
    acquire(signal?: AbortSignal, onAbort?: () => unknown): Promise<void> {
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
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          resolve: () => {
            signal?.removeEventListener('abort', abort);
            resolve();
          },
          reject: (error) => {
            signal?.removeEventListener('abort', abort);
            reject(error);
          },
        };
        const abort = () => {
          const index = waiting.indexOf(waiter);
          if (index !== -1) waiting.splice(index, 1);
          reject(onAbort?.());
        };
        signal?.addEventListener('abort', abort, { once: true });
        waiting.push(waiter);
      });
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
