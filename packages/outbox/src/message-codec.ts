/** How an outgoing message is checked, given its stable Message-ID, and kept as text in a store. */
import { randomUUID } from 'node:crypto';
import type { AddressInput, Attachment, MailAccount, MailplugError, OutgoingMessage } from '@mailplug/core';
import { mailplugError } from '@mailplug/core';
import { OutboxErrorCode } from './errors.js';

type Recipients = AddressInput | readonly AddressInput[] | undefined;

const list = (value: Recipients): readonly AddressInput[] =>
  value === undefined
    ? []
    : Array.isArray(value)
      ? (value as readonly AddressInput[])
      : [value as AddressInput];

/** Every address the message goes to (to + cc + bcc): what providers count against daily limits. */
export function recipientCount(message: OutgoingMessage): number {
  return list(message.to).length + list(message.cc).length + list(message.bcc).length;
}

function invalid(problem: string, hint: string): MailplugError {
  return mailplugError(
    OutboxErrorCode.MessageInvalid,
    'developer',
    `The message cannot be queued: ${problem}.`,
    hint,
  );
}

/** Refuses, before anything is stored, a message no attempt could ever send. */
export function checkMessage(message: OutgoingMessage): void {
  if (typeof message !== 'object' || message === null) {
    throw invalid('it is not an object', 'Pass { to, subject, text | html } as the message.');
  }
  if (recipientCount(message) === 0) {
    throw invalid('it has no recipient', 'Give the message at least one address in to, cc or bcc.');
  }
  if (typeof message.subject !== 'string') {
    throw invalid('the subject is not text', 'Set message.subject to a string (it may be empty).');
  }
  if (message.messageId !== undefined && typeof message.messageId !== 'string') {
    throw invalid(
      'its messageId is not text',
      'Set message.messageId to a string such as <unique-part@your-domain>.',
    );
  }
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (typeof value !== 'string' || /[\r\n]/.test(value)) {
      throw invalid(
        `header "${name}" is not a single line of text`,
        'Pass header values as strings without line breaks.',
      );
    }
  }
}

const MESSAGE_ID = /^<[^<>\s@]+@[^<>\s@]+>$/;

function normalizeMessageId(value: string, source: string): string {
  const trimmed = value.trim();
  const messageId = trimmed.startsWith('<') ? trimmed : `<${trimmed}>`;
  if (!MESSAGE_ID.test(messageId)) {
    throw invalid(
      `its ${source} "${trimmed}" is not of the form <local@domain>`,
      'Leave the Message-ID out (the outbox assigns one) or set message.messageId to <unique-part@your-domain>.',
    );
  }
  return messageId;
}

/**
 * The message's Message-ID: the host's `message.messageId` (core's field, stable across
 * attempts), else a `Message-ID` the host set in `headers`, else a new `<uuid@sender-domain>`.
 * Every attempt sends it unchanged, so a recipient who gets a message twice (see the README's
 * delivery guarantee) sees the same Message-ID both times.
 * The stored message carries it as `messageId` only (every protocol writes it as the header).
 */
export function assignMessageId(
  message: OutgoingMessage,
  account: MailAccount,
): { message: OutgoingMessage; messageId: string } {
  const headers = { ...(message.headers ?? {}) };
  const headerName = Object.keys(headers).find((name) => name.toLowerCase() === 'message-id');
  const fromHeader = headerName !== undefined ? headers[headerName] : undefined;
  if (headerName !== undefined) delete headers[headerName];
  let messageId: string;
  if (message.messageId !== undefined) {
    messageId = normalizeMessageId(message.messageId, 'messageId');
    if (fromHeader !== undefined && normalizeMessageId(fromHeader, 'Message-ID header') !== messageId) {
      throw invalid(
        `its messageId "${messageId}" and its Message-ID header "${fromHeader.trim()}" differ`,
        'Set the Message-ID once, as message.messageId, and remove the Message-ID header.',
      );
    }
  } else if (fromHeader !== undefined) {
    messageId = normalizeMessageId(fromHeader, 'Message-ID header');
  } else {
    const domain = account.identity?.fromAddress.split('@')[1]?.toLowerCase() || 'mailplug.invalid';
    messageId = `<${randomUUID()}@${domain}>`;
  }
  const { headers: _given, ...rest } = message;
  return {
    message: { ...rest, messageId, ...(Object.keys(headers).length > 0 ? { headers } : {}) },
    messageId,
  };
}

interface StoredAttachment {
  readonly filename: string;
  readonly contentType?: string;
  readonly text?: string;
  readonly base64?: string;
}

/** JSON text of the message; binary attachments as base64. */
export function encodeMessage(message: OutgoingMessage): string {
  const attachments = message.attachments?.map(
    (a): StoredAttachment => ({
      filename: a.filename,
      ...(a.contentType ? { contentType: a.contentType } : {}),
      ...(typeof a.content === 'string'
        ? { text: a.content }
        : { base64: Buffer.from(a.content).toString('base64') }),
    }),
  );
  return JSON.stringify({ ...message, ...(attachments ? { attachments } : {}) });
}

export function decodeMessage(payload: string): OutgoingMessage {
  const parsed = JSON.parse(payload) as Omit<OutgoingMessage, 'attachments'> & {
    attachments?: StoredAttachment[];
  };
  const attachments = parsed.attachments?.map(
    (a): Attachment => ({
      filename: a.filename,
      ...(a.contentType ? { contentType: a.contentType } : {}),
      content: a.base64 !== undefined ? new Uint8Array(Buffer.from(a.base64, 'base64')) : (a.text ?? ''),
    }),
  );
  return { ...parsed, ...(attachments ? { attachments } : {}) } as OutgoingMessage;
}
