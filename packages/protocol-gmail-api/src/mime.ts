import type { AddressInput, OutgoingMessage } from '@mailplug/core';
import MailComposer from 'nodemailer/lib/mail-composer';

/** The RFC 5322 message as it goes on the wire, and the facts a send result needs. */
export interface ComposedMessage {
  readonly raw: Buffer;
  /** The Message-ID header value (`<...>`): the caller's when the message names one. */
  readonly messageId: string;
  /** Every To, Cc and Bcc address, in order. */
  readonly recipients: readonly string[];
}

type ComposerAddress = string | { name: string; address: string };

const address = (input: AddressInput): ComposerAddress =>
  typeof input === 'string' ? input : { name: input.name ?? '', address: input.address };

function addresses(input: AddressInput | readonly AddressInput[] | undefined): ComposerAddress[] | undefined {
  if (input === undefined) return undefined;
  return (Array.isArray(input) ? input : [input as AddressInput]).map(address);
}

/**
 * Builds the message with nodemailer's MailComposer — the composer nodemailer's SMTP transport
 * uses — so headers, bodies (the mailer's footer included), attachments and a caller-provided
 * `Message-ID` come out exactly as on the SMTP route. Unlike SMTP, the HTTP send APIs read the
 * recipients from the headers, so `Bcc` stays in the message (the API strips it before delivery).
 */
export async function composeMessage(
  message: OutgoingMessage,
  defaultFrom: string,
): Promise<ComposedMessage> {
  const cc = addresses(message.cc);
  const bcc = addresses(message.bcc);
  const composer = new MailComposer({
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
    // SMTP's DATA stream puts every line break on the wire as CRLF; so do the HTTP routes.
    newline: 'windows',
    // Attachments come from the message itself, never from files or URLs named in it.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const node = composer.compile();
  node.keepBcc = true;
  const raw = await node.build();
  return { raw, messageId: node.messageId(), recipients: node.getEnvelope().to };
}
