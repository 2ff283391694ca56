/**
 * What the HTTP send APIs do with a message once it is authorized: read its recipients from the
 * headers, fill the headers a submission server adds, drop `Bcc` from delivered copies, and deliver
 * into the mail store (recipients' INBOX plus the sender's Sent folder) so IMAP/POP3 read it back.
 */
import { randomBytes } from 'node:crypto';
import {
  headerLength,
  headerValue,
  type ParsedAddress,
  parseAddressList,
  parseHeaders,
} from '../mail/message-parse.js';
import { type MailStore, normaliseMailbox } from '../mail/store.js';

const ADDRESS = /^[^\s@<>()",;:\\[\]]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$/;

export function isValidAddress(address: string): boolean {
  return ADDRESS.test(address.trim());
}

export interface RecipientHeaders {
  readonly from?: ParsedAddress | undefined;
  readonly to: ParsedAddress[];
  readonly cc: ParsedAddress[];
  readonly bcc: ParsedAddress[];
}

export function readRecipients(raw: Buffer): RecipientHeaders {
  const headers = parseHeaders(raw);
  return {
    from: parseAddressList(headerValue(headers, 'from'))[0],
    to: parseAddressList(headerValue(headers, 'to')),
    cc: parseAddressList(headerValue(headers, 'cc')),
    bcc: parseAddressList(headerValue(headers, 'bcc')),
  };
}

/** The first header (`To`, `Cc`, `Bcc`) holding an address that is not one, or undefined. */
export function invalidRecipientHeader(r: RecipientHeaders): { header: string; address: string } | undefined {
  for (const [header, list] of [
    ['To', r.to],
    ['Cc', r.cc],
    ['Bcc', r.bcc],
  ] as const) {
    const bad = list.find((a) => !isValidAddress(a.address));
    if (bad) return { header, address: bad.address };
  }
  return undefined;
}

export function allRecipients(r: RecipientHeaders): string[] {
  return [...new Set([...r.to, ...r.cc, ...r.bcc].map((a) => normaliseMailbox(a.address)))];
}

interface HeaderBlock {
  /** Each field with its continuation lines, without the line end. */
  fields: { name: string; lines: string[] }[];
  body: Buffer;
}

function splitHeaders(raw: Buffer): HeaderBlock {
  const length = headerLength(raw);
  const text = raw.subarray(0, length).toString('utf8');
  const fields: HeaderBlock['fields'] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.length === 0) break;
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line) && last) last.lines.push(line);
    else fields.push({ name: line.slice(0, Math.max(0, line.indexOf(':'))).trim(), lines: [line] });
  }
  return { fields, body: raw.subarray(length) };
}

function joinHeaders(block: HeaderBlock): Buffer {
  const head = block.fields.map((f) => f.lines.join('\r\n')).join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'utf8'), block.body]);
}

export interface HeaderEdits {
  /** Replace (or add) these headers. */
  readonly set?: Record<string, string>;
  /** Add these only when missing. */
  readonly addIfMissing?: Record<string, string>;
  readonly remove?: readonly string[];
}

export function editHeaders(raw: Buffer, edits: HeaderEdits): Buffer {
  const block = splitHeaders(raw);
  const drop = new Set(
    [...(edits.remove ?? []), ...Object.keys(edits.set ?? {})].map((n) => n.toLowerCase()),
  );
  block.fields = block.fields.filter((f) => !drop.has(f.name.toLowerCase()));
  const present = new Set(block.fields.map((f) => f.name.toLowerCase()));
  const added = Object.entries(edits.addIfMissing ?? {}).filter(([name]) => !present.has(name.toLowerCase()));
  for (const [name, value] of [...Object.entries(edits.set ?? {}), ...added])
    block.fields.unshift({ name, lines: [`${name}: ${value}`] });
  return joinHeaders(block);
}

/** Headers a submission server adds when the client left them out. */
export function submissionDefaults(domain: string): Record<string, string> {
  return {
    'Message-ID': `<${randomBytes(12).toString('hex')}@${domain}>`,
    Date: new Date().toUTCString().replace('GMT', '+0000'),
    'MIME-Version': '1.0',
  };
}

/** Recipients get the message without `Bcc`; the sender's Sent folder keeps it. */
export function deliverSubmitted(
  store: MailStore,
  sender: string,
  raw: Buffer,
  recipients: readonly string[],
  saveToSent = true,
): void {
  const delivered = editHeaders(raw, { remove: ['Bcc'] });
  for (const rcpt of recipients)
    store.deliver(rcpt, delivered, { envelope: { from: sender, to: [...recipients] } });
  if (saveToSent) store.deliver(sender, raw, { folder: 'Sent', flags: ['\\Seen'] });
}

/** RFC 2047 encoded word for non-ASCII header text. */
export function encodeWord(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

export function formatAddress(address: string, name?: string | null): string {
  if (!name) return address;
  const display = encodeWord(name);
  return display === name ? `"${name.replace(/["\\]/g, '\\$&')}" <${address}>` : `${display} <${address}>`;
}
