/** Just enough RFC 5322 parsing for envelopes, subjects and IMAP header fetches. */

export interface ParsedAddress {
  name: string | null;
  address: string;
}

export interface HeaderField {
  name: string;
  value: string;
}

/** Offset of the blank line that ends the header block (length of header incl. the blank line). */
export function headerLength(raw: Buffer): number {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  if (lf >= 0) return lf + 2;
  return raw.length;
}

export function parseHeaders(raw: Buffer): HeaderField[] {
  const text = raw.subarray(0, headerLength(raw)).toString('utf8');
  const fields: HeaderField[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.length === 0) break;
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line) && last) {
      last.value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) fields.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}

export function headerValue(fields: HeaderField[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return fields.find((field) => field.name.toLowerCase() === lower)?.value;
}

/** Decodes RFC 2047 encoded words (B and Q) so subjects read naturally. */
export function decodeWords(value: string): string {
  return value.replace(
    /=\?([^?]+)\?([bBqQ])\?([^?]*)\?=\s*/g,
    (_match, charset: string, kind: string, text: string) => {
      const encoding = (charset.toLowerCase() === 'utf-8' ? 'utf8' : 'latin1') as BufferEncoding;
      if (kind.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString(encoding);
      const bytes = text
        .replace(/_/g, ' ')
        .replace(/=([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
      return Buffer.from(bytes, 'latin1').toString(encoding);
    },
  );
}

/** Splits an address header on commas outside quotes and angle brackets. */
export function parseAddressList(value: string | undefined): ParsedAddress[] {
  if (!value) return [];
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let angle = false;
  for (const char of value) {
    if (char === '"') quoted = !quoted;
    else if (char === '<' && !quoted) angle = true;
    else if (char === '>' && !quoted) angle = false;
    if (char === ',' && !quoted && !angle) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const match = /^(.*)<([^>]*)>\s*$/.exec(part);
      if (!match) return { name: null, address: part };
      const name = decodeWords((match[1] ?? '').trim().replace(/^"|"$/g, ''));
      return { name: name.length > 0 ? name : null, address: (match[2] ?? '').trim() };
    });
}
