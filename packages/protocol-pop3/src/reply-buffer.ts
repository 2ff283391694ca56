/**
 * Bulk reply parsing for the transport (pure, no I/O, fuzzed against the line-by-line reference
 * in `parser.ts`). Socket chunks are kept as they arrive; status lines are cut out on demand and
 * multi-line bodies are scanned chunk by chunk with `Buffer#indexOf`, copying runs of ordinary
 * lines in one piece. A 2 KB message costs one pass over its bytes and one final copy instead of
 * one Buffer, one array entry and one awaited promise per line.
 *
 * Limits are the same as the line-by-line path: a line longer than `maxLineBytes` (CR excluded)
 * and a body larger than `maxBytes` (after dot-unstuffing, CRLF line endings) are refused.
 */
import { protocolError } from './errors.js';

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const CRLF = Buffer.from('\r\n');

/** One multi-line reply body being collected (RFC 1939 §3: lines until a lone `.`, dot-unstuffed). */
export interface MultilineBody {
  /**
   * Consumes bytes from the start of `data` and returns how many it used: all of them while the
   * body goes on, or up to and including the terminating `.` line (the rest belongs to the next
   * reply). `data` must not be modified afterwards: ordinary lines are kept as views into it.
   */
  feed(data: Buffer): number;
  /** True once the terminating `.` line was consumed. */
  readonly done: boolean;
  /** Body bytes so far (every line ends in CRLF, bare LF endings included). */
  readonly size: number;
  /** The complete body in a buffer of its own; only valid once `done`. */
  result(): Uint8Array;
}

export function createMultilineBody(
  maxBytes: number,
  maxLineBytes: number,
  onTooLarge: () => Error = () =>
    protocolError(`a multi-line reply exceeded ${maxBytes} bytes`, { maxBytes }),
): MultilineBody {
  const parts: Uint8Array[] = [];
  let size = 0;
  let done = false;
  /** Bytes of a line that started in an earlier chunk (at most maxLineBytes + 1: content + CR). */
  let carry: Buffer[] = [];
  let carryBytes = 0;

  const append = (bytes: Uint8Array) => {
    if (bytes.length === 0) return;
    size += bytes.length;
    if (size > maxBytes) throw onTooLarge();
    parts.push(bytes);
  };

  /**
   * Takes the complete lines of `data` from `start` on (a trailing partial line is left to the
   * caller). Returns the offset just after the terminator, or -1 if the body continues.
   */
  const scan = (data: Buffer, start: number): number => {
    let pos = start;
    /** Start of the run of bytes that goes to the body unchanged. */
    let run = start;
    for (;;) {
      const lf = data.indexOf(LF, pos);
      if (lf < 0) {
        append(data.subarray(run, pos));
        return -1;
      }
      const hasCr = lf > pos && data[lf - 1] === CR;
      const contentEnd = hasCr ? lf - 1 : lf;
      if (contentEnd - pos > maxLineBytes) throw lineTooLong(maxLineBytes);
      if (data[pos] === DOT) {
        append(data.subarray(run, pos));
        if (contentEnd - pos === 1) {
          done = true;
          return lf + 1;
        }
        run = pos + 1; // dot-stuffed: drop the leading dot
      }
      if (!hasCr) {
        // A bare LF ending becomes CRLF, as in the line-by-line collector.
        append(data.subarray(run, lf));
        append(CRLF);
        run = lf + 1;
      }
      pos = lf + 1;
    }
  };

  const keepPartial = (bytes: Buffer) => {
    if (bytes.length === 0) return;
    carryBytes += bytes.length;
    if (carryBytes > maxLineBytes + 1) throw lineTooLong(maxLineBytes);
    carry.push(Buffer.from(bytes)); // a copy: at most one line, and the chunk may be reused
  };

  return {
    feed(data) {
      if (done) throw protocolError('data after the end of a multi-line reply');
      let offset = 0;
      if (carryBytes > 0) {
        const lf = data.indexOf(LF);
        if (lf < 0) {
          keepPartial(data);
          return data.length;
        }
        // Complete the line that straddles chunks, then scan it on its own.
        const line = Buffer.concat([...carry, data.subarray(0, lf + 1)]);
        carry = [];
        carryBytes = 0;
        const end = scan(line, 0);
        if (end >= 0) return lf + 1;
        offset = lf + 1;
      }
      const end = scan(data, offset);
      if (end >= 0) return end;
      const lastLf = data.lastIndexOf(LF);
      keepPartial(data.subarray(Math.max(lastLf + 1, offset)));
      return data.length;
    },
    get done() {
      return done;
    },
    get size() {
      return size;
    },
    result() {
      if (!done) throw protocolError('multi-line reply is incomplete');
      // A buffer of its own (never a slice of Node's shared pool), returned as a plain Uint8Array.
      const out = Buffer.allocUnsafeSlow(size);
      let at = 0;
      for (const part of parts) {
        out.set(part, at);
        at += part.length;
      }
      parts.length = 0;
      return new Uint8Array(out.buffer, out.byteOffset, size);
    },
  };
}

/**
 * The transport's receive buffer: raw chunks in arrival order. `readLine` cuts out one status line
 * (CR dropped, bare LF accepted); `readBody` feeds a multi-line body and leaves whatever follows it
 * (a pipelined reply) in place. A line without LF longer than `maxLineBytes` + 1 is refused as
 * soon as it arrives, so a server cannot grow memory with one endless line.
 */
export function createReplyBuffer(maxLineBytes: number) {
  const chunks: Buffer[] = [];
  let buffered = 0;
  /** Bytes received since the last LF (an unfinished line). */
  let sinceLf = 0;

  return {
    push(chunk: Uint8Array): void {
      if (chunk.length === 0) return;
      const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const lastLf = data.lastIndexOf(LF);
      sinceLf = lastLf < 0 ? sinceLf + data.length : data.length - lastLf - 1;
      if (sinceLf > maxLineBytes + 1) throw lineTooLong(maxLineBytes);
      chunks.push(data);
      buffered += data.length;
    },
    /** The next complete line without its line ending, or `undefined` when more input is needed. */
    readLine(): Buffer | undefined {
      let length = 0;
      for (let i = 0; i < chunks.length; i++) {
        const chunk = chunks[i] as Buffer;
        const lf = chunk.indexOf(LF);
        if (lf < 0) {
          length += chunk.length;
          continue;
        }
        const head = chunks.splice(0, i);
        let line = Buffer.concat([...head, chunk.subarray(0, lf)], length + lf);
        if (lf + 1 < chunk.length) chunks[0] = chunk.subarray(lf + 1);
        else chunks.shift();
        buffered -= length + lf + 1;
        if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
        if (line.length > maxLineBytes) throw lineTooLong(maxLineBytes);
        return line;
      }
      return undefined;
    },
    /** Feeds buffered bytes to `body`; true when its terminator was reached. */
    readBody(body: MultilineBody): boolean {
      while (chunks.length > 0) {
        const chunk = chunks[0] as Buffer;
        const used = body.feed(chunk);
        buffered -= used;
        if (used < chunk.length) chunks[0] = chunk.subarray(used);
        else chunks.shift();
        if (body.done) return true;
      }
      return body.done;
    },
    /** Bytes received but not yet consumed (must be zero when STLS upgrades the socket). */
    get bufferedBytes(): number {
      return buffered;
    },
  };
}

export type ReplyBuffer = ReturnType<typeof createReplyBuffer>;

function lineTooLong(max: number) {
  return protocolError(`a line exceeded ${max} bytes`, { maxLineBytes: max });
}
