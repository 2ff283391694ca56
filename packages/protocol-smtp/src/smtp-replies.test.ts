import type { CredentialSource, OutgoingMessage } from '@mailplug/core';
import { passwordCredentials, type SmtpTestServer, smtpTestServersClosedBy } from '@mailplug/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { classifySmtpError, smtp } from './index.js';
import {
  countingTokenSource,
  expectNoSecret,
  message,
  PLANTED_PASSWORD,
  sendOnce,
  USER,
} from './test-support.js';

const GOOD_TOKEN = 'planted-token-good-77ee';
let server: SmtpTestServer;
const startServer = smtpTestServersClosedBy(afterEach);

async function start() {
  server = await startServer({
    users: { [USER]: PLANTED_PASSWORD },
    validateToken: (_u, t) => t.startsWith('planted-token-good'),
  });
  return server;
}

const attempt = (credentials?: CredentialSource, msg: OutgoingMessage = message) =>
  sendOnce(server.settings, { credentials, message: msg });

describe('classified SMTP replies (real server, scripted)', () => {
  it.each([
    [
      '535 5.7.139 (SMTP AUTH disabled)',
      535,
      '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.',
      'SMTP_AUTH_DISABLED',
      'admin',
      /Authenticated SMTP/,
    ],
    [
      '535 5.7.3 (token not accepted by Exchange)',
      535,
      '5.7.3 Authentication unsuccessful',
      'SMTP_AUTH_NOT_PERMITTED',
      'admin',
      /New-ServicePrincipal/,
    ],
  ])('%s', async (_name, code, text, expectedCode, action, hint) => {
    await start();
    server.script.nextAuth({ code, message: text });
    const error = await attempt().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: expectedCode, action, details: { replyCode: code } });
    expect((error as { hint: string }).hint).toMatch(hint);
    expectNoSecret(error, PLANTED_PASSWORD);
  });

  it.each([
    [
      '535',
      535,
      '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.',
      true,
    ],
    ['550 5.7.30', 550, '5.7.30 Basic authentication is not supported for Client Submission.', true],
    ['535 5.7.3', 535, '5.7.3 Authentication unsuccessful', false],
    ['454 4.7.0', 454, '4.7.0 Temporary authentication failure', false],
  ])('%s marks the route closed for the mailer fallback: %s', async (_name, code, text, closed) => {
    await start();
    server.script.nextAuth({ code, message: text });
    const error = (await attempt().catch((e: unknown) => e)) as { details?: Record<string, unknown> };
    expect(error.details?.routeClosed === true).toBe(closed);
  });

  it('530 5.7.57 on MAIL FROM → SMTP_NOT_AUTHENTICATED (developer)', async () => {
    await start();
    server.script.nextMailFrom({ code: 530, message: '5.7.57 Client not authenticated to send mail.' });
    await expect(attempt()).rejects.toMatchObject({ code: 'SMTP_NOT_AUTHENTICATED', action: 'developer' });
  });

  it('501 5.5.127 (token expiring) → one forced refresh and a successful retry', async () => {
    await start();
    const { source, state } = countingTokenSource(USER, ['planted-token-good-1', 'planted-token-good-2']);
    server.script.nextAuth({ code: 501, message: '5.5.127 Token will expire soon, refresh it.' });
    const result = await attempt(source);
    expect(result.accepted).toEqual(['bob@example.test']);
    expect(state.forcedCalls).toBe(1);
    expect(state.mints).toBe(2);
  });

  it('501 5.5.127 twice → SMTP_TOKEN_EXPIRING_SOON (retry) with the refresh hint', async () => {
    await start();
    const { source } = countingTokenSource(USER, [GOOD_TOKEN, `${GOOD_TOKEN}-2`]);
    server.script.nextAuth({ code: 501, message: '5.5.127 Token will expire soon, refresh it.' });
    server.script.nextAuth({ code: 501, message: '5.5.127 Token will expire soon, refresh it.' });
    const error = await attempt(source).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SMTP_TOKEN_EXPIRING_SOON', action: 'retry' });
    expect((error as { hint: string }).hint).toMatch(/earlier|before they expire/);
  });

  it('4xx on DATA → SMTP_TRANSIENT (retry)', async () => {
    await start();
    server.script.nextMail({ code: 451, message: '4.3.0 Temporary server error, try again later' });
    await expect(attempt()).rejects.toMatchObject({
      code: 'SMTP_TRANSIENT',
      action: 'retry',
      details: { replyCode: 451 },
    });
  });

  it('partial recipient rejection is reported per address in SendResult.rejected', async () => {
    await start();
    server.script.rejectRecipient('ghost@example.test', 550, '5.1.1 User unknown');
    const result = await attempt(undefined, { ...message, to: ['bob@example.test', 'ghost@example.test'] });
    expect(result.accepted).toEqual(['bob@example.test']);
    expect(result.rejected).toEqual([
      { address: 'ghost@example.test', code: 550, status: '5.1.1', message: '550 5.1.1 User unknown' },
    ]);
    expect(server.messages[0]?.envelope.to).toEqual(['bob@example.test']);
  });

  it('all recipients rejected → SMTP_RECIPIENTS_REJECTED with each rejection in details', async () => {
    await start();
    server.script.rejectRecipient('ghost@example.test', 550, '5.1.1 User unknown');
    server.script.rejectRecipient('nobody@example.test', 553, '5.1.3 Bad address');
    const error = await attempt(undefined, {
      ...message,
      to: ['ghost@example.test', 'nobody@example.test'],
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SMTP_RECIPIENTS_REJECTED', action: 'user' });
    expect(
      (error as { details: { rejected: { address: string }[] } }).details.rejected.map((r) => r.address),
    ).toEqual(['ghost@example.test', 'nobody@example.test']);
  });

  it('closed port → SMTP_CONNECTION_REFUSED (admin) naming host and port in the hint', async () => {
    await start();
    const port = server.port;
    await server.close();
    const error = await smtp
      .connect(
        { host: '127.0.0.1', port, security: 'starttls', timeoutMs: 5000 },
        passwordCredentials(USER, PLANTED_PASSWORD),
      )
      .then((c) => c.send(message))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SMTP_CONNECTION_REFUSED', action: 'admin' });
    expect((error as { hint: string }).hint).toMatch(/port/);
  });
});

describe('classifySmtpError (pure)', () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    [
      'ENOTFOUND',
      { code: 'EDNS', originalCode: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND smtp.nowhere' },
      'SMTP_HOST_NOT_FOUND',
      'admin',
    ],
    ['ETIMEDOUT', { code: 'ETIMEDOUT', message: 'Connection timeout' }, 'SMTP_TIMEOUT', 'retry'],
    [
      'ECONNREFUSED',
      { code: 'ESOCKET', originalCode: 'ECONNREFUSED', message: 'connect ECONNREFUSED' },
      'SMTP_CONNECTION_REFUSED',
      'admin',
    ],
    [
      'ECONNRESET',
      { code: 'ESOCKET', originalCode: 'ECONNRESET', message: 'read ECONNRESET' },
      'SMTP_CONNECTION_LOST',
      'retry',
    ],
    [
      'generic 535 with password',
      {
        code: 'EAUTH',
        command: 'AUTH PLAIN',
        response: '535 Authentication failed',
        responseCode: 535,
        message: 'Invalid login',
      },
      'SMTP_BAD_CREDENTIALS',
      'user',
    ],
    [
      '550 on DATA',
      {
        code: 'EMESSAGE',
        command: 'DATA',
        response: '550 5.7.60 SMTP; Client does not have permissions to send as this sender',
        responseCode: 550,
        message: 'Message failed',
      },
      'SMTP_SEND_AS_DENIED',
      'admin',
    ],
    [
      '550 5.7.1 on DATA',
      {
        code: 'EMESSAGE',
        command: 'DATA',
        response: '550 5.7.1 Message rejected as spam',
        responseCode: 550,
        message: 'Message failed',
      },
      'SMTP_MESSAGE_REJECTED',
      'admin',
    ],
    [
      '421 greeting',
      {
        code: 'ECONNECTION',
        response: '421 4.3.2 Service not available',
        responseCode: 421,
        message: 'closing',
      },
      'SMTP_TRANSIENT',
      'retry',
    ],
  ];
  it.each(cases)('%s', (_name, fields, code, action) => {
    const error = Object.assign(new Error(String(fields.message)), fields);
    const classified = classifySmtpError(error, { credentialKind: 'password' });
    expect(classified.code).toBe(code);
    expect(classified.action).toBe(action);
    expect(classified.hint.length).toBeGreaterThan(20);
  });

  it('never lets a secret from an upstream error text through', () => {
    const error = Object.assign(
      new Error(`AUTH failed for password=${PLANTED_PASSWORD} auth=Bearer planted-token-good-99ff00aa`),
      {
        code: 'EAUTH',
        responseCode: 535,
        response: '535 5.7.8 bad',
      },
    );
    const classified = classifySmtpError(error);
    expectNoSecret(classified, PLANTED_PASSWORD, 'planted-token-good-99ff00aa');
    expectNoSecret(classified.toJSON(), PLANTED_PASSWORD, 'planted-token-good-99ff00aa');
  });
});
