/**
 * Graph's JSON `message` resource (the `sendMail` JSON form) turned into the RFC 5322 message that
 * Exchange would store: subject, text or HTML body, recipients, `from`, `replyTo`, custom `X-`
 * headers and file attachments.
 */
import { randomBytes } from 'node:crypto';
import { encodeWord, formatAddress, isValidAddress } from './outgoing.js';

interface GraphRecipient {
  readonly emailAddress?: { readonly address?: unknown; readonly name?: unknown };
}

export interface GraphMessage {
  readonly subject?: unknown;
  readonly body?: { readonly contentType?: unknown; readonly content?: unknown };
  readonly toRecipients?: unknown;
  readonly ccRecipients?: unknown;
  readonly bccRecipients?: unknown;
  readonly replyTo?: unknown;
  readonly from?: GraphRecipient;
  readonly internetMessageHeaders?: unknown;
  readonly attachments?: unknown;
}

export type GraphMessageResult =
  | { readonly ok: true; readonly raw: Buffer }
  | { readonly ok: false; readonly code: 'ErrorInvalidRecipients' | 'BadRequest'; readonly message: string };

function recipients(value: unknown): { address: string; name?: string }[] | string {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return 'Recipient lists must be arrays of { emailAddress: { address } }.';
  const out: { address: string; name?: string }[] = [];
  for (const entry of value as GraphRecipient[]) {
    const address = entry?.emailAddress?.address;
    if (typeof address !== 'string' || !isValidAddress(address))
      return `At least one recipient is not valid., Recipient '${String(address ?? '')}' is not resolved. All recipients must be resolved before a message can be submitted.`;
    const name = entry.emailAddress?.name;
    out.push({ address, ...(typeof name === 'string' && name ? { name } : {}) });
  }
  return out;
}

function wrap76(base64: string): string {
  return base64.replace(/.{1,76}/g, '$&\r\n');
}

/** Builds the MIME message; `mailbox` is the sending mailbox (the default `From`). */
export function mimeFromGraphMessage(message: GraphMessage, mailbox: string): GraphMessageResult {
  const lists = {
    To: recipients(message.toRecipients),
    Cc: recipients(message.ccRecipients),
    Bcc: recipients(message.bccRecipients),
    'Reply-To': recipients(message.replyTo),
  };
  for (const list of Object.values(lists))
    if (typeof list === 'string') return { ok: false, code: 'ErrorInvalidRecipients', message: list };
  const byHeader = lists as Record<string, { address: string; name?: string }[]>;
  if ((byHeader.To?.length ?? 0) + (byHeader.Cc?.length ?? 0) + (byHeader.Bcc?.length ?? 0) === 0)
    return {
      ok: false,
      code: 'ErrorInvalidRecipients',
      message: 'At least one recipient is required, but none were found.',
    };
  const fromAddress = message.from?.emailAddress?.address;
  const fromName = message.from?.emailAddress?.name;
  const headers: string[] = [
    `From: ${formatAddress(typeof fromAddress === 'string' ? fromAddress : mailbox, typeof fromName === 'string' ? fromName : null)}`,
  ];
  for (const [name, list] of Object.entries(byHeader))
    if (list.length > 0)
      headers.push(`${name}: ${list.map((r) => formatAddress(r.address, r.name)).join(', ')}`);
  headers.push(`Subject: ${encodeWord(typeof message.subject === 'string' ? message.subject : '')}`);
  if (message.internetMessageHeaders !== undefined) {
    if (!Array.isArray(message.internetMessageHeaders))
      return { ok: false, code: 'BadRequest', message: 'internetMessageHeaders must be an array.' };
    for (const h of message.internetMessageHeaders as { name?: unknown; value?: unknown }[]) {
      if (typeof h?.name !== 'string' || !/^x-/i.test(h.name) || typeof h.value !== 'string')
        return {
          ok: false,
          code: 'BadRequest',
          message: 'Only custom headers starting with X- may be set through internetMessageHeaders.',
        };
      headers.push(`${h.name}: ${encodeWord(h.value)}`);
    }
  }
  headers.push('MIME-Version: 1.0');
  const html = String(message.body?.contentType ?? 'Text').toLowerCase() === 'html';
  const content = typeof message.body?.content === 'string' ? message.body.content : '';
  const bodyPart = [
    `Content-Type: ${html ? 'text/html' : 'text/plain'}; charset=utf-8`,
    'Content-Transfer-Encoding: base64',
    '',
    wrap76(Buffer.from(content, 'utf8').toString('base64')),
  ].join('\r\n');
  const attachments = Array.isArray(message.attachments) ? message.attachments : [];
  if (attachments.length === 0)
    return { ok: true, raw: Buffer.from(`${headers.join('\r\n')}\r\n${bodyPart}`, 'utf8') };
  const boundary = `----=_emulator_${randomBytes(8).toString('hex')}`;
  const parts = [bodyPart];
  for (const a of attachments as Record<string, unknown>[]) {
    if (a?.['@odata.type'] !== '#microsoft.graph.fileAttachment' || typeof a.contentBytes !== 'string')
      return {
        ok: false,
        code: 'BadRequest',
        message: 'Only #microsoft.graph.fileAttachment attachments with contentBytes are supported.',
      };
    const name = encodeWord(typeof a.name === 'string' ? a.name : 'attachment');
    parts.push(
      [
        `Content-Type: ${typeof a.contentType === 'string' ? a.contentType : 'application/octet-stream'}; name="${name}"`,
        `Content-Disposition: attachment; filename="${name}"`,
        'Content-Transfer-Encoding: base64',
        '',
        wrap76(a.contentBytes.replace(/\s+/g, '')),
      ].join('\r\n'),
    );
  }
  headers.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
  const body = `${parts.map((p) => `--${boundary}\r\n${p}`).join('\r\n')}\r\n--${boundary}--\r\n`;
  return { ok: true, raw: Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}`, 'utf8') };
}
