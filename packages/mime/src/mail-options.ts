import type { AddressInput, OutgoingMessage } from '@mailplug/core';

/** An address as nodemailer takes it: `'Ann <ann@example.com>'` or `{ name, address }`. */
export type MailAddress = string | { readonly name: string; readonly address: string };

/** An attachment carried in the message itself (never a file path or URL). */
export interface MailAttachment {
  readonly filename: string;
  readonly content: string | Buffer;
  readonly contentType?: string;
}

/**
 * The message as nodemailer's `sendMail` and `MailComposer` take it — a subset of nodemailer's
 * `SendMailOptions`, declared here so the types of this package do not depend on `@types/nodemailer`.
 */
export interface MailOptions {
  readonly from: MailAddress;
  readonly to: MailAddress[] | undefined;
  readonly cc?: MailAddress[];
  readonly bcc?: MailAddress[];
  readonly replyTo?: MailAddress;
  readonly subject: string;
  /** The Message-ID header value (`<unique@domain>`); nodemailer makes one up when absent. */
  readonly messageId?: string;
  readonly text?: string;
  readonly html?: string;
  readonly headers?: Record<string, string>;
  readonly attachments?: MailAttachment[];
  /** Always true: attachments never name a file to read. */
  readonly disableFileAccess: true;
  /** Always true: attachments never name a URL to fetch. */
  readonly disableUrlAccess: true;
}

const address = (input: AddressInput): MailAddress =>
  typeof input === 'string' ? input : { name: input.name ?? '', address: input.address };

function addresses(input: AddressInput | readonly AddressInput[] | undefined): MailAddress[] | undefined {
  if (input === undefined) return undefined;
  return (Array.isArray(input) ? input : [input as AddressInput]).map(address);
}

/**
 * Maps Mailplug's message to nodemailer's mail options; the sender defaults to `defaultFrom` (the
 * authenticated mailbox). Attachments must come from the message itself, so file and URL access
 * are switched off.
 *
 * @example
 * await transport.sendMail(toMailOptions({ to: 'bob@example.com', subject: 'Hi', text: 'Hello' }, credential.user));
 */
export function toMailOptions(message: OutgoingMessage, defaultFrom: string): MailOptions {
  const cc = addresses(message.cc);
  const bcc = addresses(message.bcc);
  return {
    from: address(message.from ?? defaultFrom),
    to: addresses(message.to),
    ...(cc ? { cc } : {}),
    ...(bcc ? { bcc } : {}),
    ...(message.replyTo ? { replyTo: address(message.replyTo) } : {}),
    subject: message.subject,
    ...(message.messageId !== undefined ? { messageId: message.messageId } : {}),
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
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}
