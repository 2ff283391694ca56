import type { AddressInput, OutgoingMessage, RecipientRejection, SendResult } from '@mailplug/core';
import type { SendMailOptions } from 'nodemailer';
import { recipientRejection } from './classify.js';

type NodemailerAddress = string | { name: string; address: string };

function address(input: AddressInput): NodemailerAddress {
  return typeof input === 'string' ? input : { name: input.name ?? '', address: input.address };
}

function addresses(
  input: AddressInput | readonly AddressInput[] | undefined,
): NodemailerAddress[] | undefined {
  if (input === undefined) return undefined;
  return (Array.isArray(input) ? input : [input as AddressInput]).map(address);
}

/** Maps Mailplug's message to nodemailer's; the sender defaults to the authenticated mailbox. */
export function toMailOptions(message: OutgoingMessage, defaultFrom: string): SendMailOptions {
  const cc = addresses(message.cc);
  const bcc = addresses(message.bcc);
  return {
    from: address(message.from ?? defaultFrom),
    to: addresses(message.to),
    ...(cc ? { cc } : {}),
    ...(bcc ? { bcc } : {}),
    ...(message.replyTo ? { replyTo: address(message.replyTo) } : {}),
    subject: message.subject,
    ...(message.text !== undefined ? { text: message.text } : {}),
    ...(message.html !== undefined ? { html: message.html } : {}),
    ...(message.headers ? { headers: { ...message.headers } } : {}),
    ...(message.attachments
      ? {
          attachments: message.attachments.map((a) => ({
            filename: a.filename,
            content: typeof a.content === 'string' ? a.content : Buffer.from(a.content),
            ...(a.contentType ? { contentType: a.contentType } : {}),
          })),
        }
      : {}),
    // Attachments must come from the message itself, never from files or URLs named in it.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

interface NodemailerInfo {
  messageId?: string;
  accepted?: (string | { address: string })[];
  rejectedErrors?: unknown[];
  rejected?: (string | { address: string })[];
  response?: string;
}

export function toSendResult(info: NodemailerInfo): SendResult {
  const plain = (a: string | { address: string }) => (typeof a === 'string' ? a : a.address);
  const rejected: RecipientRejection[] = (info.rejectedErrors ?? []).map(recipientRejection);
  for (const r of info.rejected ?? []) {
    if (!rejected.some((x) => x.address === plain(r)))
      rejected.push({ address: plain(r), message: 'Rejected by the server' });
  }
  return {
    messageId: info.messageId ?? '',
    accepted: (info.accepted ?? []).map(plain),
    rejected,
    ...(info.response ? { response: info.response } : {}),
  };
}
