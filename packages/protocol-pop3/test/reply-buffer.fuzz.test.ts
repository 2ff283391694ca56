import { isMailplugError } from '@mailplug/core';
import { propertyRun } from '@mailplug/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLineDecoder, createMultilineCollector } from '../src/parser.js';
import { createMultilineBody, createReplyBuffer } from '../src/reply-buffer.js';

const MAX_LINE = 64;
const MAX_BODY = 512;
const LF = 0x0a;

/** Server-ish bytes: POP3-looking fragments (dots, bare LF, stray CR, long runs) or anything at all. */
const replyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc
    .array(
      fc.constantFrom(
        '+OK',
        '-ERR',
        '.',
        '..',
        '...',
        ' ',
        '\r\n',
        '\n',
        '\r',
        '\r\n.\r\n',
        '\n.\n',
        '.\r\n',
        '\0',
        'x'.repeat(30),
        'x'.repeat(MAX_LINE - 1),
        'x'.repeat(MAX_LINE),
        'x'.repeat(MAX_LINE + 1),
        'y',
      ),
      { maxLength: 60 },
    )
    .map((parts) => new TextEncoder().encode(parts.join(''))),
);

/** Cuts `bytes` at arbitrary points, as TCP and TLS records may (1-byte chunks included). */
const cutsOf = (bytes: Uint8Array) =>
  fc.array(fc.nat(bytes.length), { maxLength: 12 }).map((cuts) => {
    const points = [...new Set([0, ...cuts.sort((a, b) => a - b), bytes.length])];
    return points.slice(1).map((end, i) => Buffer.from(bytes.subarray(points[i], end)));
  });
const chunked = replyBytes.chain(cutsOf);

type Outcome =
  | { kind: 'body'; body: string; consumed: number }
  | { kind: 'incomplete' }
  | { kind: 'error'; code: string };

/** The reference: split into lines first, then the line-by-line collector, stop at the lone dot. */
function referenceBody(bytes: Buffer): Outcome {
  const collector = createMultilineCollector(MAX_BODY);
  let pos = 0;
  try {
    for (;;) {
      const lf = bytes.indexOf(LF, pos);
      if (lf < 0) {
        if (bytes.length - pos > MAX_LINE + 1) return { kind: 'error', code: 'POP3_PROTOCOL_ERROR' };
        return { kind: 'incomplete' };
      }
      let line = bytes.subarray(pos, lf);
      if (line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
      if (line.length > MAX_LINE) return { kind: 'error', code: 'POP3_PROTOCOL_ERROR' };
      pos = lf + 1;
      if (collector.add(Buffer.from(line)))
        return { kind: 'body', body: Buffer.from(collector.result()).toString('latin1'), consumed: pos };
    }
  } catch (error) {
    return { kind: 'error', code: isMailplugError(error) ? error.code : String(error) };
  }
}

function bulkBody(chunks: Buffer[]): Outcome {
  const body = createMultilineBody(MAX_BODY, MAX_LINE);
  let consumed = 0;
  try {
    for (const chunk of chunks) {
      const used = body.feed(chunk);
      expect(used).toBeLessThanOrEqual(chunk.length);
      consumed += used;
      if (body.done) {
        const result = body.result();
        expect(result).toBeInstanceOf(Uint8Array);
        // A buffer of its own: never a window into a shared pool.
        expect(result.byteOffset).toBe(0);
        expect(result.buffer.byteLength).toBe(result.byteLength);
        return { kind: 'body', body: Buffer.from(result).toString('latin1'), consumed };
      }
      expect(used).toBe(chunk.length);
      expect(body.size).toBeLessThanOrEqual(MAX_BODY);
    }
    return { kind: 'incomplete' };
  } catch (error) {
    return { kind: 'error', code: isMailplugError(error) ? error.code : String(error) };
  }
}

const bodyRun = propertyRun<[Buffer[]]>({ seed: 2_070_001, numRuns: 1500 });
const capRun = propertyRun<[string[], number]>({ seed: 2_070_002, numRuns: 500 });
const linesRun = propertyRun<[Buffer[]]>({ seed: 2_070_003, numRuns: 1000 });
const pipelinedRun = propertyRun<[{ messages: string[][]; chunks: Buffer[] }]>({
  seed: 2_070_004,
  numRuns: 500,
});

describe('POP3 bulk reply parsing (fuzzed against the line-by-line reference)', () => {
  it(`a multi-line body parsed chunk by chunk equals the line-by-line result, for any split (${bodyRun.label})`, () => {
    fc.assert(
      fc.property(chunked, (chunks) => {
        const whole = Buffer.concat(chunks);
        const expected = referenceBody(whole);
        const actual = bulkBody(chunks);
        // Which limit trips first may differ when a reply breaks both; either way it is refused.
        if (expected.kind === 'error') expect(actual).toEqual({ kind: 'error', code: 'POP3_PROTOCOL_ERROR' });
        else expect(actual).toEqual(expected);
      }),
      bodyRun.params,
    );
  });

  it(`the size cap uses the caller’s error, and counts unstuffed CRLF-terminated bytes exactly (${capRun.label})`, () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ maxLength: 20 }).filter((l) => !/[\r\n]/.test(l)),
          { maxLength: 30 },
        ),
        fc.nat(400),
        (lines, cap) => {
          const wire = Buffer.from(
            `${lines.map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\n')}${lines.length ? '\n' : ''}.\r\n`,
            'latin1',
          );
          const expected = lines.map((l) => `${l}\r\n`).join('');
          const body = createMultilineBody(cap, 1024, () => new RangeError('too large'));
          let outcome: string | Error;
          try {
            body.feed(wire);
            outcome = Buffer.from(body.result()).toString('latin1');
          } catch (error) {
            outcome = error as Error;
          }
          if (Buffer.byteLength(expected, 'latin1') > cap) expect(outcome).toBeInstanceOf(RangeError);
          else expect(outcome).toBe(expected);
        },
      ),
      capRun.params,
    );
  });

  it(`cuts exactly the lines the reference decoder cuts, and refuses the same over-long lines (${linesRun.label})`, () => {
    fc.assert(
      fc.property(chunked, (chunks) => {
        const run = (push: (c: Buffer) => void, next: () => Buffer | undefined) => {
          const lines: string[] = [];
          try {
            for (const chunk of chunks) {
              push(chunk);
              for (let line = next(); line; line = next()) lines.push(line.toString('latin1'));
            }
            return { lines };
          } catch (error) {
            return { error: isMailplugError(error) ? error.code : String(error) };
          }
        };
        const decoder = createLineDecoder(MAX_LINE);
        const replies = createReplyBuffer(MAX_LINE);
        const expected = run(decoder.push, decoder.shift);
        const actual = run(replies.push, replies.readLine);
        expect(actual).toEqual(expected);
        if (!('error' in actual)) {
          expect(replies.bufferedBytes).toBe(decoder.bufferedBytes);
          expect(replies.bufferedBytes).toBeLessThanOrEqual(MAX_LINE + 1);
        }
      }),
      linesRun.params,
    );
  });

  it(`pipelined replies (status, body, status, body) split anywhere come back intact and in order (${pipelinedRun.label})`, () => {
    const line = fc.string({ maxLength: 40 }).filter((l) => !/[\r\n]/.test(l));
    const message = fc.array(line, { maxLength: 15 });
    const stuff = (lines: string[]) =>
      `${lines.map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n')}${lines.length ? '\r\n' : ''}.\r\n`;
    fc.assert(
      fc.property(
        fc
          .array(message, { minLength: 1, maxLength: 4 })
          .chain((messages) =>
            cutsOf(Buffer.from(messages.map((m, i) => `+OK ${i}\r\n${stuff(m)}`).join(''), 'latin1')).map(
              (chunks) => ({ messages, chunks }),
            ),
          ),
        ({ messages, chunks }) => {
          const replies = createReplyBuffer(1024);
          for (const chunk of chunks) replies.push(chunk);
          messages.forEach((lines, i) => {
            expect(replies.readLine()?.toString('latin1')).toBe(`+OK ${i}`);
            const body = createMultilineBody(1 << 20, 1024);
            expect(replies.readBody(body)).toBe(true);
            expect(Buffer.from(body.result()).toString('latin1')).toBe(lines.map((l) => `${l}\r\n`).join(''));
          });
          expect(replies.bufferedBytes).toBe(0);
          expect(replies.readLine()).toBeUndefined();
        },
      ),
      pipelinedRun.params,
    );
  });

  it('refuses an endless line as it arrives, before anyone reads it', () => {
    const replies = createReplyBuffer(MAX_LINE);
    replies.push(Buffer.from('+OK\r\n'));
    replies.push(Buffer.alloc(MAX_LINE + 1, 0x78));
    expect(() => replies.push(Buffer.from('x'))).toThrow(
      expect.objectContaining({ code: 'POP3_PROTOCOL_ERROR' }),
    );
  });

  it('a body that straddles chunks byte by byte keeps dot-stuffing, bare LF and stray CR intact', () => {
    const wire = Buffer.from('+OK\r\n..dot\r\nbare\nstray\r\r\n.\r\nrest\r\n', 'latin1');
    const replies = createReplyBuffer(MAX_LINE);
    const body = createMultilineBody(MAX_BODY, MAX_LINE);
    let status: Buffer | undefined;
    let done = false;
    for (const byte of wire) {
      replies.push(Buffer.of(byte));
      status ??= replies.readLine();
      if (status && !done) done = replies.readBody(body);
    }
    expect(status?.toString()).toBe('+OK');
    expect(Buffer.from(body.result()).toString('latin1')).toBe('.dot\r\nbare\r\nstray\r\r\n');
    expect(replies.readLine()?.toString()).toBe('rest');
    expect(() => body.feed(Buffer.from('more\r\n'))).toThrow(/after the end/);
  });
});
