/**
 * RFC 4954 §4: an AUTH command whose initial response would pass the 512-octet SMTP line limit
 * must be sent without it (`AUTH XOAUTH2`, `334`, then the response). The real smtp-server sits
 * behind a TCP tap that records the client's command lines and, like Dovecot 2.3 submission,
 * refuses lines over 512 octets with `500 5.5.2 Line too long`.
 */
import type { ServerSettings } from '@mailplug/core';
import { passwordCredentials, type SmtpTestServer, startSmtpTestServer } from '@mailplug/testkit';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { smtp } from './index.js';
import { countingTokenSource, expectNoSecret, message, PLANTED_PASSWORD, sendOnce } from './test-support.js';
import { type SmtpWireTap, startSmtpWireTap } from './test-wire-tap.js';
import { fitsOnAuthLine, SMTP_COMMAND_LINE_LIMIT } from './xoauth2-auth.js';

const USER = 'ann@contoso.test';
/** A Microsoft-sized access token (their JWTs are 1.3–2.5 KB). */
const longToken = (tag: string) => `planted-token-${tag}-${'J'.repeat(1_400)}`;
const SHORT_GOOD = 'planted-token-good-short-5d1c';
const saslResponse = (token: string) =>
  Buffer.from(`user=${USER}\x01auth=Bearer ${token}\x01\x01`).toString('base64');
/** A token whose SASL response base64-encodes to exactly `length` characters (a multiple of 4). */
const tokenForResponseLength = (length: number) => {
  const fixed = `user=${USER}\x01auth=Bearer planted-token-good-\x01\x01`.length;
  return `planted-token-good-${'k'.repeat((length / 4) * 3 - fixed)}`;
};

let server: SmtpTestServer | undefined;
let tap: SmtpWireTap | undefined;
afterEach(async () => {
  await tap?.close();
  await server?.close();
  tap = undefined;
  server = undefined;
});

/** smtp-server (plaintext, so the tap can read it) behind a strict 512-octet tap. */
async function strictServer(options: Parameters<typeof startSmtpTestServer>[0] = {}) {
  server = await startSmtpTestServer({
    security: 'none',
    validateToken: (_user, token) => token.startsWith('planted-token-good'),
    ...options,
  });
  tap = await startSmtpWireTap(server, { maxCommandLineOctets: SMTP_COMMAND_LINE_LIMIT });
  const settings: ServerSettings = {
    host: tap.host,
    port: tap.port,
    security: 'none',
    allowInsecureAuth: true,
    timeoutMs: 5_000,
  };
  return { server, tap, settings };
}

const authLines = (lines: readonly string[]) => {
  const first = lines.findIndex((l) => /^AUTH /i.test(l));
  const mail = lines.findIndex((l) => /^MAIL FROM/i.test(l));
  return lines.slice(first, mail < 0 ? undefined : mail);
};
const longestLineOctets = (lines: readonly string[]) => Math.max(...lines.map((l) => l.length + 2));

describe('XOAUTH2 and the SMTP line limit (RFC 4954 §4)', () => {
  it('the limit is 512 octets including CRLF', () => {
    // "AUTH XOAUTH2 " is 13 octets, CRLF 2: a 497-character response fills the line exactly.
    expect(fitsOnAuthLine('a'.repeat(497))).toBe(true);
    expect(fitsOnAuthLine('a'.repeat(498))).toBe(false);
  });

  it('a Microsoft-sized token is sent after a 334 on its own line, and the strict server accepts it', async () => {
    const { tap, server, settings } = await strictServer();
    const token = longToken('good');
    const { source, state } = countingTokenSource(USER, [token]);
    const result = await sendOnce(settings, { credentials: source, connect: { pool: false } });

    expect(result.accepted).toEqual(['bob@example.test']);
    expect(authLines(tap.clientLines)).toEqual(['AUTH XOAUTH2', saslResponse(token)]);
    expect(tap.refusedLines).toEqual([]);
    // The response line itself is long; only command lines are limited, and no AUTH line carries it.
    expect(
      tap.clientLines.filter((l) => /^AUTH /i.test(l)).every((l) => l.length + 2 <= SMTP_COMMAND_LINE_LIMIT),
    ).toBe(true);
    expect(server.authSuccesses.XOAUTH2).toBe(1);
    expect(server.messages[0]?.authUser).toBe(USER);
    expect([state.mints, state.forcedCalls]).toEqual([1, 0]);
  });

  it('a short (Google-sized) token keeps the one-line form', async () => {
    const { tap, server, settings } = await strictServer();
    const { source } = countingTokenSource(USER, [SHORT_GOOD]);
    await sendOnce(settings, { credentials: source, connect: { pool: false } });

    expect(authLines(tap.clientLines)).toEqual([`AUTH XOAUTH2 ${saslResponse(SHORT_GOOD)}`]);
    expect(longestLineOctets(authLines(tap.clientLines))).toBeLessThan(SMTP_COMMAND_LINE_LIMIT);
    expect(server.authSuccesses.XOAUTH2).toBe(1);
  });

  it.each([
    [496, 'one line (511 octets)', 1],
    [500, 'two steps (the one-line form would be 515 octets)', 2],
  ])('at the boundary: a %i-character response goes in %s', async (length, _form, lineCount) => {
    const { tap, server, settings } = await strictServer();
    const token = tokenForResponseLength(length);
    expect(saslResponse(token)).toHaveLength(length);
    const { source } = countingTokenSource(USER, [token]);
    await sendOnce(settings, { credentials: source, connect: { pool: false } });

    const lines = authLines(tap.clientLines);
    expect(lines).toHaveLength(lineCount);
    expect(lines.at(-1)?.endsWith(saslResponse(token))).toBe(true);
    expect(tap.refusedLines).toEqual([]);
    expect(server.authSuccesses.XOAUTH2).toBe(1);
  });

  it('a rejected long token: empty line after the 334 challenge, one forced refresh, two-step again', async () => {
    const { tap, server, settings } = await strictServer();
    const rejected = longToken('stale');
    const renewed = longToken('good-renewed');
    const { source, state } = countingTokenSource(USER, [rejected, renewed]);
    const result = await sendOnce(settings, { credentials: source, connect: { pool: false } });

    expect(result.accepted).toEqual(['bob@example.test']);
    expect(authLines(tap.clientLines)).toEqual([
      'AUTH XOAUTH2',
      saslResponse(rejected),
      '',
      'AUTH XOAUTH2',
      saslResponse(renewed),
    ]);
    expect([state.mints, state.forcedCalls]).toEqual([2, 1]);
    expect([server.authAttempts.XOAUTH2, server.authSuccesses.XOAUTH2]).toEqual([2, 1]);
  });

  it('a long token rejected twice ends in SMTP_TOKEN_REJECTED for the user, without leaking it', async () => {
    const { tap, settings } = await strictServer({ validateToken: () => false });
    const first = longToken('revoked-1');
    const second = longToken('revoked-2');
    const { source, state } = countingTokenSource(USER, [first, second]);
    const error = await sendOnce(settings, { credentials: source, connect: { pool: false } }).catch(
      (e: unknown) => e,
    );

    expect(error).toMatchObject({ code: 'SMTP_TOKEN_REJECTED', action: 'user', details: { replyCode: 535 } });
    expect((error as { hint: string }).hint).toMatch(/Sign in again/);
    expect(state.forcedCalls).toBe(1);
    expect(tap.clientLines.filter((l) => l === 'AUTH XOAUTH2')).toHaveLength(2);
    expectNoSecret(error, first, second, saslResponse(first), saslResponse(second));
  });

  it('the probe ("Test connection") authenticates with the two-step form as well', async () => {
    const { tap, settings } = await strictServer();
    const token = longToken('good-probe');
    const { source } = countingTokenSource(USER, [token]);
    const report = await smtp.probe(settings, source, { testMessage: message });

    expect(report.ok).toBe(true);
    expect(report.steps.find((s) => s.id === 'auth')?.data).toMatchObject({ method: 'XOAUTH2' });
    expect(authLines(tap.clientLines)).toEqual(['AUTH XOAUTH2', saslResponse(token)]);
    expectNoSecret(report, token, saslResponse(token));
  });

  it('passwords still use PLAIN when the server lists XOAUTH2 first (send and probe)', async () => {
    const { tap, server, settings } = await strictServer({
      authMethods: ['XOAUTH2', 'PLAIN'],
      users: { [USER]: PLANTED_PASSWORD },
    });
    const source = passwordCredentials(USER, PLANTED_PASSWORD);
    await sendOnce(settings, { credentials: source, connect: { pool: false } });
    const report = await smtp.probe(settings, source);

    expect(report.steps.find((s) => s.id === 'auth')?.data).toMatchObject({ method: 'PLAIN' });
    expect(tap.clientLines.filter((l) => /^AUTH /i.test(l)).map((l) => l.split(' ')[1])).toEqual([
      'PLAIN',
      'PLAIN',
    ]);
    expect(server.authSuccesses).toMatchObject({ PLAIN: 2, XOAUTH2: 0 });
  });

  it('control: nodemailer’s built-in XOAUTH2 puts the long token on the AUTH line and the tap refuses it', async () => {
    const { tap, settings } = await strictServer();
    const token = longToken('good-builtin');
    const transport = nodemailer.createTransport({
      host: settings.host,
      port: settings.port,
      secure: false,
      ignoreTLS: true,
      auth: { type: 'OAuth2', user: USER, accessToken: token },
    });
    const error = await transport
      .sendMail({ from: USER, to: 'bob@example.test', subject: 'x', text: 'y' })
      .catch((e: unknown) => e);
    transport.close();

    expect(error).toMatchObject({ code: 'EAUTH', responseCode: 500 });
    expect(tap.refusedLines).toEqual([`AUTH XOAUTH2 ${saslResponse(token)}`]);
  });
});
