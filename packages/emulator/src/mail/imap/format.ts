import { headerValue, type ParsedAddress, parseAddressList, parseHeaders } from '../message-parse.js';
import type { StoredMessage } from '../store.js';

/** Response pieces: strings are written as UTF-8, buffers as is (literals). */
export type ResponsePart = string | Buffer;

/** Quoted string when safe, otherwise a literal (8-bit, CR/LF, long values). */
export function imapString(value: string | Buffer): ResponsePart[] {
  const text = typeof value === 'string' ? value : value.toString('latin1');
  if (typeof value === 'string' && /^[\x20-\x7e]*$/.test(text) && text.length < 1000) {
    return [`"${text.replace(/[\\"]/g, (char) => `\\${char}`)}"`];
  }
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return [`{${bytes.length}}\r\n`, bytes];
}

export const nstring = (value: string | null | undefined): ResponsePart[] =>
  value === null || value === undefined ? ['NIL'] : imapString(value);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `"17-Jul-1996 02:44:25 +0000"` */
export function internalDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `"${pad(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000"`;
}

function addressList(addresses: ParsedAddress[]): ResponsePart[] {
  if (addresses.length === 0) return ['NIL'];
  const parts: ResponsePart[] = ['('];
  for (const { name, address } of addresses) {
    const at = address.lastIndexOf('@');
    const local = at >= 0 ? address.slice(0, at) : address;
    const host = at >= 0 ? address.slice(at + 1) : null;
    parts.push('(', ...nstring(name), ' NIL ', ...nstring(local), ' ', ...nstring(host), ')');
  }
  parts.push(')');
  return parts;
}

/** RFC 3501 ENVELOPE: (date subject from sender reply-to to cc bcc in-reply-to message-id) */
export function envelope(message: StoredMessage): ResponsePart[] {
  const headers = parseHeaders(message.raw);
  const value = (name: string) => headerValue(headers, name);
  const from = parseAddressList(value('from'));
  const sender = value('sender') ? parseAddressList(value('sender')) : from;
  const replyTo = value('reply-to') ? parseAddressList(value('reply-to')) : from;
  return [
    '(',
    ...nstring(value('date')),
    ' ',
    ...nstring(value('subject')),
    ' ',
    ...addressList(from),
    ' ',
    ...addressList(sender),
    ' ',
    ...addressList(replyTo),
    ' ',
    ...addressList(parseAddressList(value('to'))),
    ' ',
    ...addressList(parseAddressList(value('cc'))),
    ' ',
    ...addressList(parseAddressList(value('bcc'))),
    ' ',
    ...nstring(value('in-reply-to')),
    ' ',
    ...nstring(value('message-id')),
    ')',
  ];
}

/**
 * A single-part BODYSTRUCTURE from Content-Type. Multipart messages are described as their
 * outer type only; enough for clients that list messages, not for MIME tree walking.
 */
export function bodyStructure(message: StoredMessage, bodyLength: number, bodyLines: number): ResponsePart[] {
  const headers = parseHeaders(message.raw);
  const contentType = headerValue(headers, 'content-type') ?? 'text/plain; charset=us-ascii';
  const [typePart = 'text/plain', ...params] = contentType.split(';');
  const [type = 'text', subtype = 'plain'] = typePart.trim().split('/');
  const paramList = params
    .map((param) => param.trim().split('='))
    .filter((pair) => pair.length === 2)
    .flatMap(([key = '', val = '']) => [
      ...imapString(key.toUpperCase()),
      ' ',
      ...imapString(val.replace(/^"|"$/g, '')),
      ' ',
    ]);
  if (paramList.length) paramList.pop();
  const encoding = headerValue(headers, 'content-transfer-encoding') ?? '7BIT';
  const isText = type.toLowerCase() === 'text';
  return [
    '(',
    ...imapString(type.toUpperCase()),
    ' ',
    ...imapString(subtype.toUpperCase()),
    ' ',
    ...(paramList.length ? ['(', ...paramList, ')'] : ['NIL']),
    ' NIL NIL ',
    ...imapString(encoding.toUpperCase()),
    ` ${bodyLength}`,
    isText ? ` ${bodyLines}` : '',
    ')',
  ];
}

/** Parses `1,3:5,7:*`; `*` means `max`. Ranges are normalised low..high. */
export function parseSequenceSet(text: string, max: number): Array<[number, number]> | null {
  if (!/^(\d+|\*)(:(\d+|\*))?(,(\d+|\*)(:(\d+|\*))?)*$/.test(text)) return null;
  const value = (part: string) => (part === '*' ? max : Number(part));
  return text.split(',').map((range) => {
    const [a = '', b] = range.split(':');
    const lo = value(a);
    const hi = b === undefined ? lo : value(b);
    return [Math.min(lo, hi), Math.max(lo, hi)];
  });
}

export const inRanges = (ranges: Array<[number, number]>, n: number): boolean =>
  ranges.some(([lo, hi]) => n >= lo && n <= hi);

/** Compact UID set for COPYUID/APPENDUID. */
export const uidList = (uids: number[]): string => uids.join(',');
