/**
 * @mailplug/mime — Mailplug's `OutgoingMessage` as nodemailer's mail options (the SMTP route) and
 * as RFC 5322 bytes from nodemailer's MailComposer (the HTTP send APIs), so every route sends the
 * same message.
 */
export { type ComposedMessage, composeMessage } from './compose.js';
export { type MailAddress, type MailAttachment, type MailOptions, toMailOptions } from './mail-options.js';
