import type { LineConnection } from '../line-connection.js';

export type ImapToken =
  | { kind: 'atom'; value: string }
  | { kind: 'string'; value: string; bytes: Buffer }
  | { kind: 'list'; items: ImapToken[] };

export interface ImapCommand {
  tag: string;
  /** Upper-cased verb; `UID FETCH` etc. are joined with a space. */
  name: string;
  args: ImapToken[];
}

export class ImapSyntaxError extends Error {}

const MAX_LITERAL = 50 * 1024 * 1024;
const LITERAL_AT_END = /\{(\d+)(\+?)\}$/;

/**
 * Reads one command including its literals: `{n}` gets a `+` continuation, `{n+}` (LITERAL+) not.
 * Returns the raw bytes (line CRLF literal line ...) for the tokenizer, or null at end of stream.
 */
export async function readImapCommand(connection: LineConnection): Promise<Buffer | null> {
  const parts: Buffer[] = [];
  for (;;) {
    const line = await connection.readLine();
    if (line === null) return null;
    parts.push(Buffer.from(line, 'utf8'));
    const literal = LITERAL_AT_END.exec(line);
    if (!literal) return Buffer.concat(parts);
    const size = Number(literal[1]);
    if (size > MAX_LITERAL) throw new ImapSyntaxError('Literal too big');
    if (literal[2] !== '+') connection.write('+ Ready for literal data\r\n');
    const bytes = await connection.readBytes(size);
    if (bytes === null) return null;
    parts.push(Buffer.from('\r\n'), bytes);
  }
}

const ATOM_END = new Set([0x20, 0x28, 0x29, 0x0d, 0x0a]); // SP ( ) CR LF

/** Tokenises IMAP arguments: atoms (with `[...]` sections kept whole), quoted strings, literals, lists. */
export function tokenize(input: Buffer): ImapToken[] {
  let pos = 0;
  const parseList = (closing: boolean): ImapToken[] => {
    const items: ImapToken[] = [];
    for (;;) {
      while (input[pos] === 0x20) pos++;
      if (pos >= input.length) {
        if (closing) throw new ImapSyntaxError('Unterminated list');
        return items;
      }
      const char = input[pos];
      if (char === 0x29) {
        if (!closing) throw new ImapSyntaxError('Unexpected )');
        pos++;
        return items;
      }
      if (char === 0x28) {
        pos++;
        items.push({ kind: 'list', items: parseList(true) });
      } else if (char === 0x22) items.push(parseQuoted());
      else if (char === 0x7b) items.push(parseLiteral());
      else items.push(parseAtom());
    }
  };
  const parseQuoted = (): ImapToken => {
    pos++;
    const bytes: number[] = [];
    while (pos < input.length) {
      const char = input[pos++] as number;
      if (char === 0x5c) {
        const next = input[pos++];
        if (next === undefined) break;
        bytes.push(next);
      } else if (char === 0x22) {
        const buffer = Buffer.from(bytes);
        return { kind: 'string', value: buffer.toString('utf8'), bytes: buffer };
      } else bytes.push(char);
    }
    throw new ImapSyntaxError('Unterminated quoted string');
  };
  const parseLiteral = (): ImapToken => {
    const close = input.indexOf('}', pos);
    const match = close > 0 ? /^\{(\d+)\+?\}$/.exec(input.subarray(pos, close + 1).toString('latin1')) : null;
    if (!match || input[close + 1] !== 0x0d || input[close + 2] !== 0x0a)
      throw new ImapSyntaxError('Bad literal');
    const start = close + 3;
    const end = start + Number(match[1]);
    if (end > input.length) throw new ImapSyntaxError('Short literal');
    pos = end;
    const bytes = input.subarray(start, end);
    return { kind: 'string', value: bytes.toString('utf8'), bytes };
  };
  const parseAtom = (): ImapToken => {
    const start = pos;
    let depth = 0;
    while (pos < input.length) {
      const char = input[pos] as number;
      if (char === 0x5b) depth++;
      else if (char === 0x5d) depth = Math.max(0, depth - 1);
      else if (depth === 0 && ATOM_END.has(char)) break;
      else if (depth > 0 && (char === 0x0d || char === 0x0a)) break;
      pos++;
    }
    if (pos === start) throw new ImapSyntaxError('Unexpected character');
    return { kind: 'atom', value: input.subarray(start, pos).toString('utf8') };
  };
  return parseList(false);
}

const TAG = /^[\x21\x23\x24\x26\x27\x2b-\x5b\x5e-\x7a\x7c\x7e]+$/; // ASTRING-CHAR minus "+"... kept permissive

/** Splits raw command bytes into tag, verb and arguments; throws ImapSyntaxError with the tag when known. */
export function parseCommand(raw: Buffer): ImapCommand {
  const text = raw.toString('latin1');
  const firstSpace = text.indexOf(' ');
  const tag = firstSpace > 0 ? text.slice(0, firstSpace) : text.trim();
  if (!tag || !TAG.test(tag)) throw new ImapSyntaxError('Missing or invalid tag');
  if (firstSpace < 0) throw Object.assign(new ImapSyntaxError('Missing command'), { tag });
  let tokens: ImapToken[];
  try {
    tokens = tokenize(raw.subarray(Buffer.byteLength(text.slice(0, firstSpace + 1), 'latin1')));
  } catch (error) {
    throw Object.assign(error instanceof Error ? error : new ImapSyntaxError('Syntax error'), { tag });
  }
  const [verb, ...args] = tokens;
  if (verb?.kind !== 'atom') throw Object.assign(new ImapSyntaxError('Missing command'), { tag });
  let name = verb.value.toUpperCase();
  if (name === 'UID') {
    const sub = args.shift();
    if (sub?.kind !== 'atom') throw Object.assign(new ImapSyntaxError('UID needs a command'), { tag });
    name = `UID ${sub.value.toUpperCase()}`;
  }
  return { tag, name, args };
}

/** Atom or string value; undefined for lists/missing. */
export function tokenText(token: ImapToken | undefined): string | undefined {
  if (!token || token.kind === 'list') return undefined;
  return token.value;
}
