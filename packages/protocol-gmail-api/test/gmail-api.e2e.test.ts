import type { CredentialSource, OAuth2Credential } from '@mailplug/core';
import type { Emulator } from '@mailplug/emulator';
import { createSmtpProtocol } from '@mailplug/protocol-smtp';
import {
  comparableDelivery,
  deliveredMessage,
  emulatorApiServer,
  mailplugRejection,
} from '@mailplug/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGmailApiProtocol, GMAIL_SIMPLE_SEND_MAX_BYTES } from '../src/index.js';
import {
  ALICE,
  BOB,
  GMAIL_SEND,
  gmailRequests,
  MAIL_GOOGLE,
  serviceAccountSource,
  startGmailEmulator,
  userSource,
} from './support.js';

describe('Gmail API messages.send against the emulator (real google-auth-library tokens)', () => {
  let emulator: Emulator;
  const gmailApi = createGmailApiProtocol({ basePath: '/gmail-api', proxy: false });

  beforeAll(async () => {
    emulator = await startGmailEmulator();
  });
  afterEach(() => {
    emulator.inject.clear();
    emulator.gmail.setMailServiceEnabled(ALICE, true);
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  async function sendWith(
    source: CredentialSource,
    message: Record<string, unknown> = {},
    timeoutMs?: number,
  ) {
    const connection = await gmailApi.connect(emulatorApiServer(emulator, timeoutMs), source);
    try {
      return await connection.send({ to: BOB, subject: 'x', text: 'x', ...message } as never);
    } finally {
      connection.dispose();
    }
  }

  it('a user signed in with only gmail.send sends through the API; the same token is refused by SMTP', async () => {
    const source = await userSource(emulator, [GMAIL_SEND]);
    const credential = (await source.getCredential({ protocol: 'gmail-api' })) as OAuth2Credential;
    expect(credential.scopes).toEqual([GMAIL_SEND]);
    const result = await sendWith(source, { subject: 'Only gmail.send', bcc: 'carol@contoso.test' });
    expect(result.accepted).toEqual([BOB, 'carol@contoso.test']);
    expect(result.response).toMatch(/^200 OK \(Gmail id [0-9a-f]+\)$/);
    const raw = deliveredMessage(emulator, BOB, 'Only gmail.send');
    expect(raw).toContain(`Message-ID: ${result.messageId}`);
    expect(raw).not.toMatch(/^Bcc:/im);
    expect(emulator.mail.list(ALICE, 'Sent').some((m) => m.subject === 'Only gmail.send')).toBe(true);

    const smtpServer = emulator.settings['gmail-oauth'].servers?.smtp;
    if (!smtpServer) throw new Error('no smtp');
    const smtp = await createSmtpProtocol().connect(smtpServer, source, { pool: false });
    const refused = await smtp.send({ to: BOB, subject: 'over smtp', text: 'x' }).catch((e: unknown) => e);
    await smtp.close();
    expect(refused).toMatchObject({ code: 'SMTP_TOKEN_REJECTED' });
    expect(emulator.mail.list(BOB).some((m) => m.subject === 'over smtp')).toBe(false);
  });

  it('builds the same MIME as the SMTP route', async () => {
    const message = {
      from: { address: ALICE, name: 'Alice' },
      to: [BOB],
      subject: 'Same on both routes',
      text: 'Plain\n\nFooter',
      html: '<p>HTML</p>',
      attachments: [{ filename: 'a.txt', content: 'attached text' }],
    };
    const source = await userSource(emulator, [MAIL_GOOGLE]);
    const smtpServer = emulator.settings['gmail-oauth'].servers?.smtp;
    if (!smtpServer) throw new Error('no smtp');
    const smtp = await createSmtpProtocol().connect(smtpServer, source, { pool: false });
    await smtp.send({ ...message, headers: { 'Message-ID': '<same-1@contoso.test>' } });
    await smtp.close();
    await sendWith(source, { ...message, headers: { 'Message-ID': '<same-2@contoso.test>' } });
    const normalise = (id: string) => comparableDelivery(emulator, BOB, id);
    const viaSmtp = normalise('<same-1@contoso.test>');
    expect(viaSmtp).toContain('filename=a.txt');
    expect(normalise('<same-2@contoso.test>')).toBe(viaSmtp);
  });

  it('a Workspace service account with domain-wide delegation of gmail.send sends as the user', async () => {
    const result = await sendWith(serviceAccountSource(emulator, ALICE), {
      subject: 'From the service account',
    });
    expect(result.accepted).toEqual([BOB]);
    const raw = deliveredMessage(emulator, BOB, 'From the service account');
    expect(raw).toContain(`From: ${ALICE}`);
  });

  it('a message over 5 MB goes through the media upload endpoint, intact', async () => {
    const attachment = new Uint8Array(GMAIL_SIMPLE_SEND_MAX_BYTES).map((_, i) => i % 251);
    const source = await userSource(emulator);
    const result = await sendWith(source, {
      subject: 'Large scan',
      attachments: [{ filename: 'scan.bin', content: attachment }],
    });
    expect(result.response).toContain('media upload');
    expect(emulator.requests.some((r) => r.path.startsWith('/gmail-api/upload/gmail/v1/users/'))).toBe(true);
    const raw =
      emulator.mail
        .list(BOB)
        .find((m) => m.subject === 'Large scan')
        ?.raw.toString('latin1') ?? '';
    const base64 =
      raw
        .split('filename=scan.bin')[1]
        ?.split(/\r\n\r\n/)[1]
        ?.split('\r\n--')[0]
        ?.replace(/\s+/g, '') ?? '';
    expect(Buffer.from(base64, 'base64').equals(Buffer.from(attachment))).toBe(true);
  });

  it('a message over 35 MB: MESSAGE_TOO_LARGE naming the limit, no request made', async () => {
    const source = await userSource(emulator);
    const before = gmailRequests(emulator);
    const error = await mailplugRejection(
      sendWith(source, {
        attachments: [{ filename: 'huge.bin', content: new Uint8Array(27 * 1024 * 1024) }],
      }),
    );
    expect(error).toMatchObject({ code: 'MESSAGE_TOO_LARGE', action: 'developer' });
    expect(error.message).toContain('35 MB');
    expect(gmailRequests(emulator)).toBe(before);
  });

  it('a token without a send scope: insufficientPermissions → admin, names gmail.send, route closed', async () => {
    const source = await userSource(emulator, ['openid', 'email']);
    const error = await mailplugRejection(sendWith(source));
    expect(error).toMatchObject({ code: 'GMAIL_API_SCOPE_MISSING', action: 'admin' });
    expect(error.hint).toContain(GMAIL_SEND);
    expect(error.details).toMatchObject({
      status: 403,
      reason: 'insufficientPermissions',
      routeClosed: true,
    });
  });

  it('Gmail switched off for the user: failedPrecondition → admin with the Admin console step, route closed', async () => {
    emulator.gmail.setMailServiceEnabled(ALICE, false);
    const error = await mailplugRejection(sendWith(await userSource(emulator)));
    expect(error).toMatchObject({ code: 'GMAIL_API_MAIL_SERVICE_DISABLED', action: 'admin' });
    expect(error.hint).toContain('Google Admin console');
    expect(error.details?.routeClosed).toBe(true);
  });

  it('a token of another user than the mailbox: delegation denied, admin', async () => {
    const inner = await userSource(emulator);
    const asBob: CredentialSource = {
      async getCredential(request) {
        return { ...((await inner.getCredential(request)) as OAuth2Credential), user: BOB };
      },
    };
    const error = await mailplugRejection(sendWith(asBob, { to: ALICE }));
    expect(error).toMatchObject({ code: 'GMAIL_API_DELEGATION_DENIED', action: 'admin' });
  });

  it.each([
    [{ status: 429 as const, retryAfterSeconds: 7 }, 'rateLimitExceeded', 7000],
    [{ gmailError: 'userRateLimitExceeded' as const, retryAfterSeconds: 3 }, 'userRateLimitExceeded', 3000],
  ])('rate limits (%o) → retry with retryAfterMs', async (fault, reason, wait) => {
    emulator.inject.google({ endpoint: 'messages.send', ...fault });
    const error = await mailplugRejection(sendWith(await userSource(emulator)));
    expect(error).toMatchObject({ code: 'GMAIL_API_RATE_LIMITED', action: 'retry', retryAfterMs: wait });
    expect(error.details).toMatchObject({ reason, mayHaveBeenDelivered: false });
  });

  it('an invalid recipient header → user', async () => {
    const error = await mailplugRejection(
      sendWith(await userSource(emulator), { to: [BOB, 'carol@contoso..test'] }),
    );
    expect(error).toMatchObject({ code: 'GMAIL_API_RECIPIENTS_REJECTED', action: 'user' });
    expect(error.details?.googleMessage).toBe('Invalid To header');
  });

  it('another invalid header → developer', async () => {
    emulator.inject.google({
      endpoint: 'messages.send',
      gmailError: 'invalidArgument',
      message: 'Invalid From header',
    });
    const error = await mailplugRejection(sendWith(await userSource(emulator)));
    expect(error).toMatchObject({ code: 'GMAIL_API_INVALID_MESSAGE', action: 'developer' });
  });

  it('a 503 text page → retry, not delivered; a black hole → deadline', async () => {
    const source = await userSource(emulator);
    emulator.inject.google({ endpoint: 'messages.send', status: 503, body: 'text' });
    expect(await mailplugRejection(sendWith(source))).toMatchObject({
      code: 'GMAIL_API_UNAVAILABLE',
      action: 'retry',
      details: { status: 503, mayHaveBeenDelivered: false },
    });
    emulator.inject.google({ endpoint: 'messages.send', blackHole: true });
    expect(await mailplugRejection(sendWith(source, {}, 800))).toMatchObject({
      code: 'GMAIL_API_TIMEOUT',
      action: 'retry',
      details: { deadlineMs: 800, mayHaveBeenDelivered: true },
    });
  });

  it('a token Google no longer accepts is replaced once (forceRefresh) and the message goes out', async () => {
    const inner = await userSource(emulator);
    let stale = true;
    const requests: boolean[] = [];
    const source: CredentialSource = {
      async getCredential(request) {
        requests.push(request.forceRefresh === true);
        const credential = (await inner.getCredential(request)) as OAuth2Credential;
        if (request.forceRefresh) stale = false;
        return stale ? { ...credential, accessToken: 'ya29.revoked-token' } : credential;
      },
    };
    const result = await sendWith(source, { subject: 'after refresh' });
    expect(result.accepted).toEqual([BOB]);
    expect(requests.filter(Boolean)).toHaveLength(1);
  });

  it('"Test connection" proves the token and the mailbox without sending; names a missing scope before any request', async () => {
    const before = emulator.mail.all().length;
    const report = await gmailApi.probe(emulatorApiServer(emulator), await userSource(emulator));
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([
      ['credential', 'ok'],
      ['scopes', 'ok'],
      ['auth', 'ok'],
      ['send', 'skipped'],
    ]);
    expect(emulator.mail.all().length).toBe(before);

    const requestsBefore = gmailRequests(emulator);
    const noScope = await gmailApi.probe(
      emulatorApiServer(emulator),
      await userSource(emulator, ['openid', 'email']),
    );
    expect(noScope.steps.find((s) => s.id === 'scopes')).toMatchObject({
      status: 'failed',
      error: { code: 'GMAIL_API_SCOPE_MISSING' },
    });
    expect(gmailRequests(emulator)).toBe(requestsBefore);
  });

  it('"Test connection" with Gmail off for the user fails the auth step (route closed); with a test message it sends', async () => {
    emulator.gmail.setMailServiceEnabled(ALICE, false);
    const off = await gmailApi.probe(emulatorApiServer(emulator), await userSource(emulator));
    const auth = off.steps.find((s) => s.id === 'auth');
    expect(auth).toMatchObject({ status: 'failed', error: { code: 'GMAIL_API_MAIL_SERVICE_DISABLED' } });
    expect(auth?.error?.details?.routeClosed).toBe(true);
    emulator.gmail.setMailServiceEnabled(ALICE, true);
    const sent = await gmailApi.probe(emulatorApiServer(emulator), await userSource(emulator), {
      testMessage: { to: BOB, subject: 'Gmail probe message', text: 'x' },
    });
    expect(sent.ok).toBe(true);
    expect(emulator.mail.list(BOB).some((m) => m.subject === 'Gmail probe message')).toBe(true);
  });

  it('a password credential is refused at connect', async () => {
    const source: CredentialSource = {
      getCredential: async () => ({ kind: 'password', user: ALICE, password: 'app-password-never-shown' }),
    };
    expect(await mailplugRejection(gmailApi.connect(emulatorApiServer(emulator), source))).toMatchObject({
      code: 'GMAIL_API_CREDENTIAL_UNSUPPORTED',
      action: 'admin',
    });
  });
});
