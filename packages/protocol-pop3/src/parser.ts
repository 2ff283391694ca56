/**
 * Pure POP3 reply parsing (no I/O), so that it can be fuzzed on its own. Every limit is explicit:
 * a hostile or broken server can make these functions throw a `POP3_PROTOCOL_ERROR`
 * MailplugError, never grow memory without bound or throw anything else.
 */
import { Pop3ErrorCode, pop3Error, protocolError } from './errors.js';

export interface Pop3Limits {
  /** Longest line accepted, CRLF excluded. RFC 2449 allows 512 octets for status lines; bodies vary. */
  readonly maxLineBytes: number;
  /** Largest multi-line reply other than a message (CAPA, UIDL, LIST). */
  readonly maxListingBytes: number;
}

export const DEFAULT_LIMITS: Pop3Limits = { maxLineBytes: 64 * 1024, maxListingBytes: 16 * 1024 * 1024 };

const CR = 0x0d;
const LF = 0x0a;

/**
 * Splits a byte stream into lines ending in LF (a preceding CR is dropped). Bare-LF endings are
 * accepted because real servers send them inside message bodies.
 */
export function createLineDecoder(maxLineBytes: number) {
  let chunks: Buffer[] = [];
  let pendingBytes = 0;
  const ready: Buffer[] = [];

  function push(chunk: Uint8Array): void {
    let data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (;;) {
      const lf = data.indexOf(LF);
      if (lf < 0) {
        if (pendingBytes + data.length > maxLineBytes + 1) throw lineTooLong(maxLineBytes);
        if (data.length > 0) {
          chunks.push(Buffer.from(data));
          pendingBytes += data.length;
        }
        return;
      }
      let line =
        chunks.length === 0 ? data.subarray(0, lf) : Buffer.concat([...chunks, data.subarray(0, lf)]);
      chunks = [];
      pendingBytes = 0;
      if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
      if (line.length > maxLineBytes) throw lineTooLong(maxLineBytes);
      ready.push(Buffer.from(line));
      data = data.subarray(lf + 1);
    }
  }

  return {
    push,
    /** The next complete line, or `undefined` when more input is needed. */
    shift(): Buffer | undefined {
      return ready.shift();
    },
    /** Bytes received but not yet returned as lines (must be zero when STLS upgrades the socket). */
    get bufferedBytes(): number {
      return pendingBytes + ready.reduce((n, l) => n + l.length + 2, 0);
    },
  };
}

export type LineDecoder = ReturnType<typeof createLineDecoder>;

function lineTooLong(max: number) {
  return protocolError(`a line exceeded ${max} bytes`, { maxLineBytes: max });
}

export type StatusLine =
  | { readonly kind: 'ok'; readonly text: string }
  | { readonly kind: 'err'; readonly text: string; readonly responseCode?: string }
  /** A SASL continuation (`+ <base64>` or a bare `+`). */
  | { readonly kind: 'continue'; readonly text: string };

/** Parses a status line. Only `+OK`, `-ERR` and (when `allowContinue`) `+` are valid. */
export function parseStatusLine(line: Uint8Array, allowContinue = false): StatusLine {
  const text = Buffer.from(line).toString('latin1');
  if (/[\0\r\n]/.test(text)) throw protocolError('control character in status line');
  if (text === '+OK' || text.startsWith('+OK ')) return { kind: 'ok', text: text.slice(4) };
  if (text === '-ERR' || text.startsWith('-ERR ')) {
    const rest = text.slice(5);
    const match = /^\[([A-Za-z0-9/-]{1,40})\]\s*/.exec(rest);
    if (match?.[1]) return { kind: 'err', text: rest.slice(match[0].length), responseCode: match[1] };
    return { kind: 'err', text: rest };
  }
  if (allowContinue && (text === '+' || text.startsWith('+ ')))
    return { kind: 'continue', text: text.slice(2) };
  throw protocolError(`unexpected status line "${text.slice(0, 80)}"`);
}

/**
 * Collects a multi-line reply body: lines until a lone `.`, with dot-unstuffing (RFC 1939 §3),
 * rejoined with CRLF. Throws when the body would exceed `maxBytes`.
 */
export function createMultilineCollector(
  maxBytes: number,
  onTooLarge: () => Error = () => tooLarge(maxBytes),
) {
  const parts: Buffer[] = [];
  let size = 0;
  let done = false;
  return {
    /** Adds one line; returns true when the terminating `.` was seen. */
    add(line: Buffer): boolean {
      if (done) throw protocolError('data after the end of a multi-line reply');
      if (line.length === 1 && line[0] === 0x2e) {
        done = true;
        return true;
      }
      const content = line[0] === 0x2e ? line.subarray(1) : line;
      size += content.length + 2;
      if (size > maxBytes) throw onTooLarge();
      parts.push(content, CRLF);
      return false;
    },
    result(): Uint8Array {
      return new Uint8Array(Buffer.concat(parts));
    },
    get size(): number {
      return size;
    },
  };
}

const CRLF = Buffer.from('\r\n');

function tooLarge(maxBytes: number) {
  return protocolError(`a multi-line reply exceeded ${maxBytes} bytes`, { maxBytes });
}

export function messageTooLarge(id: string, size: number | undefined, maxBytes: number) {
  return pop3Error(
    Pop3ErrorCode.MessageTooLarge,
    'admin',
    `Message ${id} is larger than the ${maxBytes}-byte limit${size !== undefined ? ` (${size} bytes)` : ''}`,
    'Raise FetchOptions.maxBytes for this account, or remove the oversized message from the mailbox.',
    { details: { id, maxBytes, ...(size !== undefined ? { size } : {}) } },
  );
}

export interface Capabilities {
  readonly raw: readonly string[];
  readonly stls: boolean;
  readonly user: boolean;
  readonly uidl: boolean;
  readonly top: boolean;
  /** RFC 2449 PIPELINING: commands may be sent without waiting for each reply. */
  readonly pipelining: boolean;
  /** SASL mechanisms, upper case; `undefined` when the server sent no SASL line. */
  readonly sasl: readonly string[] | undefined;
}

/** Parses a CAPA body (RFC 2449). Unknown capabilities are kept in `raw`. */
export function parseCapabilities(body: Uint8Array): Capabilities {
  const raw = splitBody(body);
  const names = new Set(raw.map((l) => l.split(' ')[0]?.toUpperCase() ?? ''));
  const saslLine = raw.find((l) => /^SASL(\s|$)/i.test(l));
  return {
    raw,
    stls: names.has('STLS'),
    user: names.has('USER'),
    uidl: names.has('UIDL'),
    top: names.has('TOP'),
    pipelining: names.has('PIPELINING'),
    sasl:
      saslLine === undefined
        ? undefined
        : saslLine
            .split(/\s+/)
            .slice(1)
            .filter(Boolean)
            .map((m) => m.toUpperCase()),
  };
}

/** Parses `UIDL` lines: `<msg-number> <unique-id>` (unique-id: 1–70 chars 0x21–0x7E). */
export function parseUidlListing(body: Uint8Array): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of splitBody(body)) {
    const match = /^(\d{1,9}) ([\x21-\x7e]{1,70})$/.exec(line.trim());
    if (!match) throw protocolError(`invalid UIDL line "${line.slice(0, 80)}"`);
    out.set(Number(match[1]), match[2] as string);
  }
  return out;
}

/** Parses `LIST` lines: `<msg-number> <octets>`. */
export function parseSizeListing(body: Uint8Array): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of splitBody(body)) {
    const match = /^(\d{1,9}) (\d{1,15})(?: .*)?$/.exec(line.trim());
    if (!match) throw protocolError(`invalid LIST line "${line.slice(0, 80)}"`);
    out.set(Number(match[1]), Number(match[2]));
  }
  return out;
}

function splitBody(body: Uint8Array): string[] {
  return Buffer.from(body)
    .toString('latin1')
    .split('\r\n')
    .filter((l) => l.length > 0);
}
