import {
  createMailer,
  createMemorySecretStore,
  createMemoryTokenStore,
  createRegistry,
  type FallbackUsed,
  type MailAccount,
  type Mailer,
  type Registry,
} from '@mailplug/core';
import { DEFAULT_TENANT_ID, type Emulator } from '@mailplug/emulator';
import { createSmtpProtocol } from '@mailplug/protocol-smtp';
import { deliveredMessage, emulatorApiServer } from '@mailplug/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGraphProtocol } from '../src/index.js';
import {
  ALICE,
  appOnlySource,
  BOB,
  OUTLOOK_DEFAULT,
  startGraphEmulator,
  testM365AppProvider,
} from './support.js';

describe('Graph in the mailer: probe and fallback routes', () => {
  let emulator: Emulator;
  let registry: Registry;
  let mailer: Mailer;
  const graph = createGraphProtocol({ basePath: '/graph', proxy: false });

  beforeAll(async () => {
    emulator = await startGraphEmulator();
    registry = createRegistry();
    registry.register(graph);
    registry.register(createSmtpProtocol());
    registry.register(testM365AppProvider(emulator));
    mailer = createMailer({
      registry,
      secrets: createMemorySecretStore(),
      tokenStore: createMemoryTokenStore(),
      permissions: { canSendOnBehalfOfOrganization: () => true },
    });
  });
  afterEach(() => {
    emulator.graph.setRestApiEnabled(ALICE, true);
    emulator.mailServers?.smtpAuth.reset();
    emulator.inject.clear();
  });
  afterAll(async () => {
    await mailer?.dispose();
    await registry?.dispose();
    await emulator?.stop();
  });

  const smtpServer = (): MailAccount['server'] => {
    const smtp = emulator.settings['m365-app-only'].servers?.smtp;
    if (!smtp) throw new Error('no smtp');
    return {
      host: smtp.host,
      port: smtp.port,
      security: smtp.security,
      caFile: emulator.caCertPath,
      timeoutSeconds: 10,
    };
  };
  const graphAccountServer = (): MailAccount['server'] => ({
    host: '127.0.0.1',
    port: emulator.ports.https,
    security: 'tls',
    caFile: emulator.caCertPath,
    timeoutSeconds: 10,
  });
  const account = (id: string, primary: 'graph' | 'smtp', fallback?: 'graph' | 'smtp'): MailAccount => ({
    id,
    protocol: primary,
    server: primary === 'graph' ? graphAccountServer() : smtpServer(),
    auth: { provider: 'test-m365-app', settings: { mailbox: ALICE } },
    identity: { fromAddress: ALICE, displayName: 'Alice Office' },
    scope: { kind: 'system' },
    ...(fallback
      ? {
          fallback: {
            protocol: fallback,
            server: fallback === 'graph' ? graphAccountServer() : smtpServer(),
          },
        }
      : {}),
  });

  /** Sends with `primary` closed: delivered over `fallback`, with one event naming why. */
  const sendThroughFallback = async (
    accountId: string,
    primary: 'graph' | 'smtp',
    fallback: 'graph' | 'smtp',
    subject: string,
    code: string,
  ) => {
    const events: FallbackUsed[] = [];
    const listener = mailer.onDidUseFallback((e) => events.push(e));
    try {
      const result = await mailer.send({
        account: account(accountId, primary, fallback),
        message: { to: BOB, subject, text: 'x' },
      });
      expect(result.route).toBe(fallback);
    } finally {
      listener.dispose();
    }
    expect(events).toEqual([
      expect.objectContaining({
        accountId,
        from: primary,
        to: fallback,
        reason: expect.objectContaining({ code }),
      }),
    ]);
  };

  it('an account on Graph sends through the mailer (footer and identity applied)', async () => {
    const result = await mailer.send({
      account: account('graph-only', 'graph'),
      message: { to: BOB, subject: 'Via mailer', text: 'Hello' },
    });
    expect(result.accepted).toEqual([BOB]);
    const raw = deliveredMessage(emulator, BOB, 'Via mailer');
    expect(raw).toContain('From: Alice Office <alice@contoso.test>');
  });

  it('Graph closed for the mailbox (MailboxNotEnabledForRESTAPI) → delivered over the SMTP fallback, with the event', async () => {
    emulator.graph.setRestApiEnabled(ALICE, false);
    await sendThroughFallback(
      'graph-first',
      'graph',
      'smtp',
      'Graph closed, SMTP delivers',
      'GRAPH_MAILBOX_NOT_ENABLED',
    );
    expect(emulator.mail.list(BOB).some((m) => m.subject === 'Graph closed, SMTP delivers')).toBe(true);
  });

  it('SMTP AUTH off for the tenant (535 5.7.139) → delivered through Graph, route "graph", with the event', async () => {
    emulator.mailServers?.smtpAuth.setEnabled({ tenant: DEFAULT_TENANT_ID }, false);
    await sendThroughFallback(
      'smtp-first',
      'smtp',
      'graph',
      'SMTP off, Graph delivers',
      'SMTP_AUTH_DISABLED',
    );
    const raw = deliveredMessage(emulator, BOB, 'SMTP off, Graph delivers');
    expect(raw).toContain('From: Alice Office <alice@contoso.test>');
  });

  it('"Test connection" with SMTP AUTH off says Graph delivers, with the step to turn SMTP on', async () => {
    emulator.mailServers?.smtpAuth.setEnabled({ mailbox: ALICE }, false);
    const report = await mailer.probe(account('smtp-first-probe', 'smtp', 'graph'));
    expect(report.routes?.map((r) => [r.protocol, r.ok, r.closed])).toEqual([
      ['smtp', false, true],
      ['graph', true, false],
    ]);
    expect(report.ok).toBe(true);
    expect(report.summary).toContain('sending through Microsoft Graph');
    expect(report.summary).toContain('Authenticated SMTP');
  });

  it('a transient Graph failure never moves the message to the fallback', async () => {
    emulator.inject.microsoft({ endpoint: 'sendMail', status: 503 });
    const events: FallbackUsed[] = [];
    const listener = mailer.onDidUseFallback((e) => events.push(e));
    const error = await mailer
      .send({
        account: account('graph-transient', 'graph', 'smtp'),
        message: { to: BOB, subject: 'transient', text: 'x' },
      })
      .catch((e: unknown) => e);
    listener.dispose();
    expect(error).toMatchObject({ code: 'GRAPH_UNAVAILABLE', action: 'retry' });
    expect(events).toEqual([]);
  });

  it('"Test connection" on Graph proves the token and the mailbox without sending anything', async () => {
    const before = emulator.mail.all().length;
    const report = await mailer.probe(account('graph-probe', 'graph'));
    expect(report.ok).toBe(true);
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([
      ['credential', 'ok'],
      ['token', 'ok'],
      ['auth', 'ok'],
      ['send', 'skipped'],
    ]);
    expect(report.steps.find((s) => s.id === 'token')?.detail).toContain('Mail.Send');
    expect(report.steps.find((s) => s.id === 'auth')?.detail).toContain('nothing was sent');
    expect(emulator.mail.all().length).toBe(before);
  });

  it('"Test connection" with a test message sends it', async () => {
    const report = await graph.probe(emulatorApiServer(emulator), appOnlySource(emulator), {
      testMessage: { to: BOB, subject: 'Probe test message', text: 'x' },
    });
    expect(report.steps.at(-1)).toMatchObject({ id: 'send', status: 'ok' });
    expect(emulator.mail.list(BOB).some((m) => m.subject === 'Probe test message')).toBe(true);
  });

  it('"Test connection" names an Outlook token as the wrong audience before any request', async () => {
    const report = await graph.probe(
      emulatorApiServer(emulator),
      appOnlySource(emulator, { scope: OUTLOOK_DEFAULT }),
    );
    expect(report.ok).toBe(false);
    const token = report.steps.find((s) => s.id === 'token');
    expect(token).toMatchObject({
      status: 'failed',
      error: { code: 'GRAPH_TOKEN_WRONG_AUDIENCE', action: 'developer' },
    });
    expect(report.steps.find((s) => s.id === 'auth')?.status).toBe('skipped');
  });

  it('"Test connection" with Graph closed for the mailbox fails the auth step, marked route-closed', async () => {
    emulator.graph.setRestApiEnabled(ALICE, false);
    const report = await graph.probe(emulatorApiServer(emulator), appOnlySource(emulator));
    const auth = report.steps.find((s) => s.id === 'auth');
    expect(auth).toMatchObject({ status: 'failed', error: { code: 'GRAPH_MAILBOX_NOT_ENABLED' } });
    expect(auth?.error?.details?.routeClosed).toBe(true);
  });

  it('the mailer probes both routes and says which one delivers', async () => {
    emulator.graph.setRestApiEnabled(ALICE, false);
    const report = await mailer.probe(account('graph-first-probe', 'graph', 'smtp'));
    expect(report.routes?.map((r) => [r.protocol, r.ok, r.closed])).toEqual([
      ['graph', false, true],
      ['smtp', true, false],
    ]);
    expect(report.ok).toBe(true);
    expect(report.summary).toContain('sending through SMTP');
  });
});
