import { type MailplugError, mailplugError } from '@mailplug/core';

/** Error codes this package raises (documented in the README; never change meaning). */
export const OutboxErrorCode = {
  StoreUnavailable: 'OUTBOX_STORE_UNAVAILABLE',
  AccountUnknown: 'OUTBOX_ACCOUNT_UNKNOWN',
  MessageInvalid: 'OUTBOX_MESSAGE_INVALID',
  MessageUnknown: 'OUTBOX_MESSAGE_UNKNOWN',
  MessageBusy: 'OUTBOX_MESSAGE_BUSY',
  AlreadySent: 'OUTBOX_ALREADY_SENT',
  RetriesExhausted: 'OUTBOX_RETRIES_EXHAUSTED',
  Expired: 'OUTBOX_EXPIRED',
  Unclassified: 'OUTBOX_UNCLASSIFIED_ERROR',
  Disposed: 'OUTBOX_DISPOSED',
} as const;
export type OutboxErrorCode = (typeof OutboxErrorCode)[keyof typeof OutboxErrorCode];

export function storeUnavailable(kind: 'SQLite' | 'Redis', cause: unknown): MailplugError {
  return mailplugError(
    OutboxErrorCode.StoreUnavailable,
    'retry',
    `The ${kind} outbox store could not be used.`,
    kind === 'SQLite'
      ? 'Check that the outbox database file and its directory are writable and the disk is not full; the operation can be retried.'
      : 'Check that Redis is running and reachable from every host instance; the operation can be retried.',
    { cause },
  );
}

export function messageUnknown(id: string): MailplugError {
  return mailplugError(
    OutboxErrorCode.MessageUnknown,
    'developer',
    `The outbox has no message "${id}".`,
    'Pass an id returned by outbox.enqueue (ids are never reused).',
    { details: { id } },
  );
}

export function messageBusy(id: string): MailplugError {
  return mailplugError(
    OutboxErrorCode.MessageBusy,
    'retry',
    `The message "${id}" is being sent right now.`,
    'Wait for the attempt to finish (the "sent", "deferred", "held" or "failed" event) and try again.',
    { details: { id } },
  );
}

export function alreadySent(id: string): MailplugError {
  return mailplugError(
    OutboxErrorCode.AlreadySent,
    'developer',
    `The message "${id}" was already sent.`,
    'Enqueue a new message to send it again; a sent message cannot be retried or cancelled.',
    { details: { id } },
  );
}
