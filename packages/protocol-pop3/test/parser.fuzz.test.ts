import net from 'node:net';
import { isMailplugError } from '@mailplug/core';
import { propertyRun } from '@mailplug/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPop3Protocol } from '../src/index.js';
import {
  createLineDecoder,
  createMultilineCollector,
  parseCapabilities,
  parseSizeListing,
  parseStatusLine,
  parseUidlListing,
} from '../src/parser.js';

const MAX_LINE = 64;
const MAX_BODY = 512;

/** Server-ish bytes: mostly POP3-looking fragments, plus anything at all. */
const replyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 400 }),
  fc
    .array(
      fc.constantFrom(
        '+OK',
        '-ERR',
        '+',
        '.',
        '..',
        ' ',
        '[AUTH]',
        '[IN-USE',
        '\r\n',
        '\n',
        '\r',
        '\0',
        'x'.repeat(70),
        '1 abc',
        'SASL',
      ),
      { maxLength: 40 },
    )
    .map((parts) => new TextEncoder().encode(parts.join(''))),
);

/** Splits bytes at arbitrary points, as TCP may. */
const chunked = replyBytes.chain((bytes) =>
  fc.array(fc.nat(bytes.length), { maxLength: 6 }).map((cuts) => {
    const points = [...new Set([0, ...cuts.sort((a, b) => a - b), bytes.length])];
    return points.slice(1).map((end, i) => bytes.subarray(points[i], end));
  }),
);

function expectProtocolError(run: () => void): void {
  try {
    run();
  } catch (error) {
    expect(isMailplugError(error), String(error)).toBe(true);
    expect((error as { code: string }).code).toBe('POP3_PROTOCOL_ERROR');
  }
}

const decodeRun = propertyRun<[Uint8Array[]]>({ seed: 1_939_001, numRuns: 500 });
const collectRun = propertyRun<[Uint8Array]>({ seed: 1_939_002, numRuns: 500 });
const unstuffRun = propertyRun<[string[]]>({ seed: 1_939_003, numRuns: 300 });
const bytes = (text: string) => new TextEncoder().encode(text);
const garbageServerRun = propertyRun<[Uint8Array, Uint8Array]>({
  // The seed that found issue 11's hang (CAPA answered with a bare-LF "+OK\n", then silence).
  seed: 2_024_915_044,
  numRuns: 25,
  fuzzRuns: 200,
  examples: [
    // Issue 11 (seed 2024915044): `[[], "+OK\n"]`, the multi-line CAPA read had no deadline.
    [bytes(''), bytes('+OK\n')],
  ],
});

describe('POP3 parser fuzzing', () => {
  it(`decodes any byte stream into bounded lines or a protocol error (${decodeRun.label})`, () => {
    fc.assert(
      fc.property(chunked, (chunks) => {
        expectProtocolError(() => {
          const decoder = createLineDecoder(MAX_LINE);
          for (const chunk of chunks) {
            decoder.push(chunk);
            for (let line = decoder.shift(); line; line = decoder.shift()) {
              expect(line.length).toBeLessThanOrEqual(MAX_LINE);
              expectProtocolError(() => parseStatusLine(line, true));
            }
          }
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(MAX_LINE + 1);
        });
      }),
      decodeRun.params,
    );
  });

  it(`collects any multi-line body within the size cap or fails with a protocol error (${collectRun.label})`, () => {
    fc.assert(
      fc.property(replyBytes, (bytes) => {
        expectProtocolError(() => {
          const decoder = createLineDecoder(MAX_LINE);
          decoder.push(bytes);
          const collector = createMultilineCollector(MAX_BODY);
          for (let line = decoder.shift(); line; line = decoder.shift()) {
            if (collector.add(line)) break;
          }
          const body = collector.result();
          expect(body.length).toBeLessThanOrEqual(MAX_BODY);
          expectProtocolError(() => parseUidlListing(body));
          expectProtocolError(() => parseSizeListing(body));
          parseCapabilities(body);
        });
      }),
      collectRun.params,
    );
  });

  it(`dot-unstuffing inverts dot-stuffing for any message (${unstuffRun.label})`, () => {
    const line = fc.string({ maxLength: 40 }).filter((l) => !/[\r\n]/.test(l));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), (lines) => {
        const wire = `${lines.map((l) => (l.startsWith('.') ? `.${l}` : l)).join('\r\n')}${lines.length ? '\r\n' : ''}.\r\n`;
        const decoder = createLineDecoder(1024);
        decoder.push(Buffer.from(wire, 'latin1'));
        const collector = createMultilineCollector(1 << 20);
        let done = false;
        for (let l = decoder.shift(); l && !done; l = decoder.shift()) done = collector.add(l);
        expect(done).toBe(true);
        expect(Buffer.from(collector.result()).toString('latin1')).toBe(
          lines.map((l) => `${l}\r\n`).join(''),
        );
      }),
      unstuffRun.params,
    );
  });

  it(
    `a connection to a server replying garbage ends in a MailplugError, never a hang or crash (${garbageServerRun.label})`,
    async () => {
      const pop3 = createPop3Protocol({
        silenceDeprecation: true,
        limits: { maxLineBytes: 256, maxListingBytes: 4096 },
      });
      await fc.assert(
        fc.asyncProperty(replyBytes, replyBytes, async (greetingTail, reply) => {
          const server = net.createServer((socket) => {
            socket.on('error', () => {});
            socket.write(Buffer.concat([Buffer.from('+OK '), greetingTail, Buffer.from('\r\n')]));
            socket.on('data', () => socket.write(reply));
          });
          await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
          const port = (server.address() as net.AddressInfo).port;
          try {
            const work = pop3
              .connect(
                { host: '127.0.0.1', port, security: 'none', allowInsecureAuth: true, timeoutMs: 150 },
                { getCredential: async () => ({ kind: 'password', user: 'u', password: 'secret-pw-1' }) },
              )
              .then(async (connection) => {
                await connection.list().catch((e: unknown) => e);
                connection.dispose();
                return undefined;
              })
              .catch((e: unknown) => e);
            // A liveness bound, not a performance one: every stage has a 150 ms timeout, so a run
            // still pending after 10 s is a hang (generous so that a loaded CI machine cannot trip it).
            const hang = Symbol('hang');
            let timer: NodeJS.Timeout | undefined;
            const outcome = await Promise.race([
              work,
              new Promise<typeof hang>((resolve) => {
                timer = setTimeout(() => resolve(hang), 10_000);
              }),
            ]);
            clearTimeout(timer);
            expect(outcome, 'the client hung on garbage from the server').not.toBe(hang);
            if (outcome !== undefined) expect(isMailplugError(outcome), String(outcome)).toBe(true);
          } finally {
            server.close();
          }
        }),
        garbageServerRun.params,
      );
      // Real connections on a possibly busy machine; each run is bounded above.
    },
    garbageServerRun.numRuns * 12_000,
  );
});
