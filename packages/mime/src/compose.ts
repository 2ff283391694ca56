import type { OutgoingMessage } from '@mailplug/core';
import MailComposer from 'nodemailer/lib/mail-composer';
import { toMailOptions } from './mail-options.js';

/** The RFC 5322 message as it goes on the wire, and the facts a send result needs. */
export interface ComposedMessage {
  readonly raw: Buffer;
  /** The Message-ID header value (`<...>`): the caller's when the message names one. */
  readonly messageId: string;
  /** Every To, Cc and Bcc address, in order. */
  readonly recipients: readonly string[];
}

/**
 * Builds the message with nodemailer's MailComposer — the composer nodemailer's SMTP transport
 * uses, from the same {@link toMailOptions} — so headers, bodies (the mailer's footer included),
 * attachments and a caller-provided `Message-ID` header come out exactly as on the SMTP route.
 * Unlike SMTP, HTTP send APIs read the recipients from the headers, so `Bcc` stays in the message
 * (the API strips it before delivery).
 *
 * @example
 * const { raw, messageId, recipients } = await composeMessage(message, credential.user);
 * await post(sendUrl, { raw: raw.toString('base64url') });
 */
export async function composeMessage(
  message: OutgoingMessage,
  defaultFrom: string,
): Promise<ComposedMessage> {
  const composer = new MailComposer({
    ...toMailOptions(message, defaultFrom),
    // SMTP's DATA stream puts every line break on the wire as CRLF; so do the HTTP routes.
    newline: 'windows',
  });
  const node = composer.compile();
  node.keepBcc = true;
  const raw = await node.build();
  return { raw, messageId: node.messageId(), recipients: node.getEnvelope().to };
}
