import type { OutgoingMessage } from '@mailplug/core';
import type { Emulator } from '@mailplug/emulator';
import { createSmtpProtocol } from '@mailplug/protocol-smtp';
import { comparableDelivery, deliveredMessage, emulatorApiServer } from '@mailplug/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphProtocol } from '../src/index.js';
import {
  ALICE,
  appOnlySource,
  BOB,
  delegatedSource,
  GRAPH_MAIL_SEND,
  OUTLOOK_DEFAULT,
  startGraphEmulator,
} from './support.js';

const CAROL = 'carol@contoso.test';

describe('Graph sendMail against the emulator (real msal-node tokens)', () => {
  let emulator: Emulator;
  const graph = createGraphProtocol({ basePath: '/graph', proxy: false });

  beforeAll(async () => {
    emulator = await startGraphEmulator();
    emulator.identity.addUser({ email: CAROL, displayName: 'Carol' });
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  it('sends app-only as the mailbox: delivered to To, Cc and Bcc, Bcc hidden, copy in Sent', async () => {
    const connection = await graph.connect(emulatorApiServer(emulator), appOnlySource(emulator));
    const result = await connection.send({
      from: { address: ALICE, name: 'Alice Office' },
      to: BOB,
      cc: CAROL,
      bcc: 'alice@contoso.test',
      subject: 'Invoice 42',
      text: 'Attached.',
      attachments: [{ filename: 'invoice.txt', content: 'total: 42', contentType: 'text/plain' }],
    });
    await connection.close();
    expect(result.accepted).toEqual([BOB, CAROL, ALICE]);
    expect(result.rejected).toEqual([]);
    expect(result.response).toMatch(/^202 Accepted \(request-id /);
    const received = emulator.mail.list(BOB).find((m) => m.subject === 'Invoice 42');
    expect(received).toBeDefined();
    const raw = received?.raw.toString('utf8') ?? '';
    expect(raw).toContain(`Message-ID: ${result.messageId}`);
    expect(raw).toContain('From: Alice Office <alice@contoso.test>');
    expect(raw).not.toMatch(/^Bcc:/im);
    expect(raw).toContain('filename=invoice.txt');
    expect(emulator.mail.list(CAROL).some((m) => m.subject === 'Invoice 42')).toBe(true);
    expect(emulator.mail.list(ALICE, 'Sent').some((m) => m.subject === 'Invoice 42')).toBe(true);
  });

  it('keeps a caller-provided Message-ID', async () => {
    const connection = await graph.connect(emulatorApiServer(emulator), appOnlySource(emulator));
    const result = await connection.send({
      to: BOB,
      subject: 'Own id',
      text: 'x',
      headers: { 'Message-ID': '<case-7781.1@practice.example>' },
    });
    await connection.close();
    expect(result.messageId).toBe('<case-7781.1@practice.example>');
    const raw = deliveredMessage(emulator, BOB, 'Own id');
    expect(raw).toContain('Message-ID: <case-7781.1@practice.example>');
  });

  it('builds the same MIME as the SMTP route (headers, bodies, attachment, Message-ID)', async () => {
    const message: OutgoingMessage = {
      from: { address: ALICE, name: 'Alice' },
      to: [BOB, { address: CAROL, name: 'Carol C' }],
      replyTo: 'office@contoso.test',
      subject: 'Same on both routes — ünïcode',
      text: 'Plain body\n\n-- \nFooter text',
      html: '<p>HTML body</p><div class="mailplug-footer"><p>Footer</p></div>',
      headers: { 'X-Case': '7781' },
      attachments: [{ filename: 'a.pdf', content: new Uint8Array([37, 80, 68, 70, 0, 1, 2]) }],
    };
    const smtpServer = emulator.settings['m365-app-only'].servers?.smtp;
    if (!smtpServer) throw new Error('no smtp');
    const viaSmtp = await createSmtpProtocol().connect(
      smtpServer,
      appOnlySource(emulator, { scope: OUTLOOK_DEFAULT }),
    );
    const viaGraph = await graph.connect(emulatorApiServer(emulator), appOnlySource(emulator));
    await viaSmtp.send({
      ...message,
      headers: { ...message.headers, 'Message-ID': '<same-1@contoso.test>' },
    });
    await viaGraph.send({
      ...message,
      headers: { ...message.headers, 'Message-ID': '<same-2@contoso.test>' },
    });
    await Promise.all([viaSmtp.close(), viaGraph.close()]);
    const normalise = (id: string) => comparableDelivery(emulator, BOB, id);
    const smtpForm = normalise('<same-1@contoso.test>');
    const graphForm = normalise('<same-2@contoso.test>');
    expect(graphForm).toContain('X-Case: 7781');
    expect(graphForm).toContain('filename=a.pdf');
    expect(graphForm).toBe(smtpForm);
  });

  it('sends delegated with Mail.Send as the signed-in user', async () => {
    const connection = await graph.connect(emulatorApiServer(emulator), await delegatedSource(emulator));
    const result = await connection.send({ to: BOB, subject: 'Delegated via Graph', text: 'hi' });
    await connection.close();
    expect(result.accepted).toEqual([BOB]);
    const raw = deliveredMessage(emulator, BOB, 'Delegated via Graph');
    expect(raw).toContain(`From: ${ALICE}`);
  });

  it('a delegated user without Mail.Send.Shared cannot send from another mailbox: admin, names Mail.Send.Shared', async () => {
    const source = await delegatedSource(emulator, { scopes: [GRAPH_MAIL_SEND], mailbox: BOB });
    const connection = await graph.connect(emulatorApiServer(emulator), source);
    const error = await connection.send({ to: CAROL, subject: 'as bob', text: 'x' }).catch((e: unknown) => e);
    await connection.close();
    expect(error).toMatchObject({ code: 'GRAPH_ACCESS_DENIED', action: 'admin' });
    expect((error as Error & { hint: string }).hint).toContain('Mail.Send.Shared');
  });
});
