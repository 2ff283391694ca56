import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { OutgoingMessage } from '../spec/v1/message.js';

/** A legal or organisational footer appended to every message the mailer sends. */
export interface MailFooter {
  readonly text?: string;
  readonly html?: string;
}

/** Limits from the host applications' admin guides: long footers get mail flagged and truncated by clients. */
export const FOOTER_LIMITS = { text: 500, html: 2000 } as const;

/** Throws FOOTER_TOO_LONG (admin) when a footer exceeds its limit; the hint names limit and length. */
export function checkFooter(footer: MailFooter | undefined): void {
  if (!footer) return;
  for (const kind of ['text', 'html'] as const) {
    const value = footer[kind];
    if (value !== undefined && value.length > FOOTER_LIMITS[kind]) {
      const label = kind === 'text' ? 'plain-text' : 'HTML';
      throw mailplugError(
        CoreErrorCode.FooterTooLong,
        'admin',
        `The ${label} footer is too long.`,
        `Shorten the ${label} footer to at most ${FOOTER_LIMITS[kind]} characters (it has ${value.length}).`,
        { details: { kind, limit: FOOTER_LIMITS[kind], length: value.length } },
      );
    }
  }
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const htmlToText = (html: string) =>
  html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/p>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .trim();

/**
 * Appends the footer to whichever bodies the message has. A footer given only as text is shown
 * escaped in HTML bodies, and an HTML-only footer is flattened for text bodies, so both parts
 * of a multipart/alternative message carry it.
 */
export function appendFooter(message: OutgoingMessage, footer: MailFooter | undefined): OutgoingMessage {
  if (!footer || (!footer.text && !footer.html)) return message;
  const footerText = footer.text ?? htmlToText(footer.html ?? '');
  const footerHtml = footer.html ?? `<p>${escapeHtml(footer.text ?? '').replace(/\r?\n/g, '<br>')}</p>`;
  const out: { -readonly [K in keyof OutgoingMessage]: OutgoingMessage[K] } = { ...message };
  if (message.text !== undefined) out.text = `${message.text.replace(/\s+$/, '')}\n\n${footerText}`;
  if (message.html !== undefined) {
    const block = `<div class="mailplug-footer">${footerHtml}</div>`;
    const close = message.html.search(/<\/body\s*>(?![\s\S]*<\/body\s*>)/i);
    out.html =
      close >= 0
        ? `${message.html.slice(0, close)}${block}${message.html.slice(close)}`
        : `${message.html}${block}`;
  }
  return out;
}
