/** Rules every store applies the same way (the Redis store mirrors them in Lua). */
import type { AttemptRecord, OutboxState, SendSlot, SendSlotRequest } from './outbox-store.js';

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

export function emptyCounts(): Record<OutboxState, number> {
  return { queued: 0, sending: 0, deferred: 0, held: 0, sent: 0, failed: 0, cancelled: 0 };
}

/** The code recorded when a worker's lease ran out mid-attempt. */
export const LEASE_EXPIRED_CODE = 'OUTBOX_LEASE_EXPIRED';

export function interruptedAttempt(
  worker: string | null,
  leasedAt: number | null,
  now: number,
): AttemptRecord {
  return {
    at: leasedAt ?? now,
    endedAt: now,
    outcome: 'interrupted',
    worker: worker ?? 'unknown',
    code: LEASE_EXPIRED_CODE,
    hint: 'The worker stopped renewing its lease (it crashed or stalled); the message is sent again with the same Message-ID.',
  };
}

/**
 * Whether one more send fits the limits, given the account's sends of the last 24 hours (oldest
 * first). When it does not, `retryAt` is the first moment it will: when enough old sends have left
 * every window that is full.
 */
export function slotDecision(
  sends: readonly { readonly at: number; readonly recipients: number }[],
  request: SendSlotRequest,
): SendSlot {
  const { now, limits } = request;
  const inDay = sends.filter((s) => s.at > now - DAY_MS);
  let retryAt = 0;
  const perMinute = limits.messagesPerMinute;
  if (perMinute !== undefined) {
    const inMinute = inDay.filter((s) => s.at > now - MINUTE_MS);
    if (inMinute.length >= perMinute) {
      const freeing = inMinute[inMinute.length - perMinute];
      retryAt = Math.max(retryAt, (freeing?.at ?? now) + MINUTE_MS);
    }
  }
  const perDay = limits.messagesPerDay;
  if (perDay !== undefined && inDay.length >= perDay) {
    const freeing = inDay[inDay.length - perDay];
    retryAt = Math.max(retryAt, (freeing?.at ?? now) + DAY_MS);
  }
  const recipientsPerDay = limits.recipientsPerDay;
  if (recipientsPerDay !== undefined) {
    let total = inDay.reduce((sum, s) => sum + s.recipients, 0);
    // A message larger than the whole allowance goes out alone, once the window is empty.
    const needed = Math.min(request.recipients, recipientsPerDay);
    for (const send of inDay) {
      if (total + needed <= recipientsPerDay) break;
      total -= send.recipients;
      retryAt = Math.max(retryAt, send.at + DAY_MS);
    }
  }
  return retryAt > now ? { granted: false, retryAt } : { granted: true };
}
