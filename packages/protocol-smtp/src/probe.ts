import { promises as dns } from 'node:dns';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import type {
  CredentialSource,
  DiagnosticReport,
  DiagnosticStep,
  DiagnosticStepId,
  MailCredential,
  ProbeOptions,
  ServerSettings,
} from '@mailplug/core';
import { toMailOptions } from '@mailplug/mime';
import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import XOAuth2 from 'nodemailer/lib/xoauth2';
import { classifySmtpError, type SmtpClassificationContext } from './classify.js';
import { createProvisionCallback } from './credential-hook.js';
import { resolveSmtpProxy, type SmtpProxy, type SmtpProxyOptions } from './proxy.js';
import { assertSmtpCredentialTransport, wireOptions } from './server-options.js';
import { openSmtpSocket } from './smtp-transport.js';
import { authenticateXOAuth2 } from './xoauth2-auth.js';

const PROBE_TIMEOUT_MS = 20_000;

interface StepOutcome {
  readonly detail?: string;
  readonly data?: Record<string, unknown>;
}

interface WireEvent {
  readonly at: number;
  readonly kind: 'server' | 'client' | 'upgraded';
  readonly text: string;
}

/** A bunyan-shaped logger that only keeps the SMTP dialogue's timeline (auth lines arrive masked). */
function timelineLogger(events: WireEvent[]) {
  const log = (entry: { tnx?: string }, message: unknown, ...args: unknown[]) => {
    const text = String(message ?? '');
    if (entry.tnx === 'server' || entry.tnx === 'client')
      events.push({ at: performance.now(), kind: entry.tnx, text });
    else if (/upgraded with STARTTLS/i.test(text))
      events.push({ at: performance.now(), kind: 'upgraded', text: '' });
    void args;
  };
  return { trace: log, debug: log, info: log, warn: log, error: log, fatal: log };
}

function describeCertificate(socket: tls.TLSSocket): StepOutcome {
  const cert = socket.getPeerCertificate();
  const name = (n: Record<string, unknown> | undefined) => (n ? String(n.CN ?? n.O ?? '') : '');
  const data = {
    protocol: socket.getProtocol(),
    subject: name(cert.subject as unknown as Record<string, unknown>),
    issuer: name(cert.issuer as unknown as Record<string, unknown>),
    validTo: cert.valid_to ? new Date(cert.valid_to).toISOString() : undefined,
    subjectAltName: cert.subjectaltname,
  };
  return {
    detail: `${data.protocol}, CN=${data.subject}, issued by ${data.issuer}, expires ${data.validTo?.slice(0, 10)}`,
    data,
  };
}

function parseEhlo(response: string): { extensions: string[]; authMechanisms: string[] } {
  const extensions = response
    .split(/\r?\n/)
    .map((l) => l.replace(/^\d{3}[ -]/, '').trim())
    .filter(Boolean)
    .slice(1);
  const authLine = extensions.find((e) => /^AUTH[ =]/i.test(e));
  const authMechanisms = authLine
    ? authLine
        .slice(5)
        .split(/[\s=]+/)
        .filter(Boolean)
        .map((m) => m.toUpperCase())
    : [];
  return { extensions, authMechanisms };
}

function waitFor<T>(executor: (resolve: (v: T) => void, reject: (e: unknown) => void) => void): Promise<T> {
  return new Promise(executor);
}

/**
 * Staged "Test connection": dns, tcp, tls (implicit) or starttls, greeting, capabilities, credential,
 * auth and an optional test message. Every step reports ok/failed/skipped with its duration; after
 * the first failure the rest are skipped. Server problems never throw; they become failed steps
 * carrying the classified MailplugError (code, action, hint).
 */
export async function probeSmtp(
  server: ServerSettings,
  credentials: CredentialSource,
  options: ProbeOptions = {},
  settings: SmtpProxyOptions = {},
): Promise<DiagnosticReport> {
  const steps: DiagnosticStep[] = [];
  let failed = false;
  let credentialKind: MailCredential['kind'] | undefined;
  const context = (): SmtpClassificationContext => ({
    host: server.host,
    port: server.port,
    ...(credentialKind ? { credentialKind } : {}),
    ...(proxy ? { proxy: proxy.endpoint } : {}),
  });
  const emit = (step: DiagnosticStep) => {
    steps.push(step);
    try {
      options.onStep?.(step);
    } catch {
      // A host's rendering callback must not break the probe.
    }
  };
  const fail = (id: DiagnosticStepId, label: string, durationMs: number, error: unknown) => {
    failed = true;
    const classified = classifySmtpError(error, context());
    emit({ id, label, status: 'failed', durationMs, detail: classified.message, error: classified.toJSON() });
  };
  const skip = (id: DiagnosticStepId, label: string, detail?: string) =>
    emit({ id, label, status: 'skipped', durationMs: 0, ...(detail ? { detail } : {}) });
  const run = async <T extends StepOutcome>(
    id: DiagnosticStepId,
    label: string,
    fn: () => Promise<T>,
  ): Promise<T | undefined> => {
    if (failed) {
      skip(id, label);
      return undefined;
    }
    const started = performance.now();
    try {
      const outcome = await fn();
      // Only detail and data reach the report; anything else an outcome carries (a credential) stays here.
      emit({
        id,
        label,
        status: 'ok',
        durationMs: performance.now() - started,
        ...(outcome.detail ? { detail: outcome.detail } : {}),
        ...(outcome.data ? { data: outcome.data } : {}),
      });
      return outcome;
    } catch (error) {
      fail(id, label, performance.now() - started, error);
      return undefined;
    }
  };

  let wire: ReturnType<typeof wireOptions>;
  let proxy: SmtpProxy | undefined;
  try {
    wire = wireOptions(server);
    proxy = resolveSmtpProxy(server, settings);
  } catch (error) {
    fail('dns', 'Resolve host', 0, error);
    return { ok: false, steps };
  }
  const timeout = Math.min(server.timeoutMs ?? PROBE_TIMEOUT_MS, PROBE_TIMEOUT_MS);
  let socket: net.Socket | undefined;
  let connection: SMTPConnection | undefined;

  try {
    let address = server.host;
    if (proxy) {
      skip('dns', 'Resolve host', `Resolved by the proxy ${proxy.endpoint}`);
    } else {
      const resolved = await run('dns', 'Resolve host', async () => {
        if (net.isIP(server.host))
          return { detail: `${server.host} is an IP address`, data: { addresses: [server.host] } };
        const addresses = (await dns.lookup(server.host, { all: true })).map((a) => a.address);
        return { detail: addresses.join(', '), data: { addresses } };
      });
      address = (resolved?.data.addresses as string[] | undefined)?.[0] ?? server.host;
    }

    await run('tcp', proxy ? `Connect through proxy ${proxy.endpoint}` : 'Connect', async () => {
      socket = await openSmtpSocket({ ...server, host: address }, timeout, proxy);
      return {
        detail: `${address}:${server.port}${proxy ? ` via ${proxy.endpoint}` : ''}`,
        data: { address, port: server.port, ...(proxy ? { proxy: proxy.endpoint } : {}) },
      };
    });

    if (server.security === 'tls') {
      await run('tls', 'TLS handshake', async () => {
        const plain = socket as net.Socket;
        const secured = await waitFor<tls.TLSSocket>((resolve, reject) => {
          const s = tls.connect({
            ...wire.tls,
            socket: plain,
            host: server.host,
            ...(wire.tls.servername || net.isIP(server.host) ? {} : { servername: server.host }),
          });
          s.once('secureConnect', () => resolve(s));
          s.once('error', reject);
        });
        socket = secured;
        return describeCertificate(secured);
      });
    } else if (server.security === 'none') {
      skip('tls', 'TLS', 'Plaintext connection (security "none")');
    }

    // greeting, STARTTLS and EHLO all happen inside nodemailer's connect(); its dialogue timeline tells us where it stopped.
    const events: WireEvent[] = [];
    const dialogueStart = performance.now();
    let connectError: unknown;
    if (!failed && socket) {
      connection = new SMTPConnection({
        ...wire,
        connection: socket,
        secured: server.security === 'tls',
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
        transactionLog: true,
        logger: timelineLogger(events) as never,
      });
      const conn = connection;
      connectError = await waitFor<unknown>((resolve) => {
        conn.once('error', (e: unknown) => resolve(e ?? new Error('Connection failed')));
        conn.connect((e?: unknown) => resolve(e));
      });
    }
    const greeting = events.find((e) => e.kind === 'server');
    const startTlsSent = events.find((e) => e.kind === 'client' && /^STARTTLS/i.test(e.text));
    const upgraded = events.find((e) => e.kind === 'upgraded');
    const lastEhlo = [...events].reverse().find((e) => e.kind === 'client' && /^EHLO /i.test(e.text));
    const ehloReply = lastEhlo ? events.find((e) => e.kind === 'server' && e.at >= lastEhlo.at) : undefined;

    if (failed) skip('greeting', 'Server greeting');
    else if (!greeting)
      fail(
        'greeting',
        'Server greeting',
        performance.now() - dialogueStart,
        connectError ?? new Error('No greeting'),
      );
    else
      emit({
        id: 'greeting',
        label: 'Server greeting',
        status: 'ok',
        durationMs: greeting.at - dialogueStart,
        detail: greeting.text,
      });

    if (server.security === 'starttls') {
      if (failed) skip('starttls', 'STARTTLS upgrade');
      else if (!upgraded || (connectError && !(ehloReply && upgraded.at <= ehloReply.at))) {
        fail(
          'starttls',
          'STARTTLS upgrade',
          performance.now() - (startTlsSent?.at ?? dialogueStart),
          connectError ?? new Error('STARTTLS failed'),
        );
      } else {
        const secured = (connection as unknown as { _socket: tls.TLSSocket })._socket;
        emit({
          id: 'starttls',
          label: 'STARTTLS upgrade',
          status: 'ok',
          durationMs: upgraded.at - (startTlsSent?.at ?? upgraded.at),
          ...describeCertificate(secured),
        });
      }
    }

    if (failed) skip('capabilities', 'Capabilities');
    else if (connectError || !ehloReply || !lastEhlo) {
      fail(
        'capabilities',
        'Capabilities',
        performance.now() - (lastEhlo?.at ?? dialogueStart),
        connectError ?? new Error('No EHLO reply'),
      );
    } else {
      const { extensions, authMechanisms } = parseEhlo(ehloReply.text);
      emit({
        id: 'capabilities',
        label: 'Capabilities',
        status: 'ok',
        durationMs: ehloReply.at - lastEhlo.at,
        detail: `AUTH ${authMechanisms.join(' ') || '(none offered)'}`,
        data: { extensions, authMechanisms },
      });
    }

    const credential = await run('credential', 'Get credential', async () => {
      const c = await credentials.getCredential({
        protocol: 'smtp',
        ...(options.signal ? { signal: options.signal } : {}),
      });
      credentialKind = c.kind;
      const data = {
        kind: c.kind,
        user: c.user,
        ...(c.kind === 'oauth2'
          ? { expiresAt: new Date(c.expiresAt).toISOString(), scopes: [...c.scopes] }
          : {}),
      };
      return {
        detail: `${c.kind === 'oauth2' ? 'OAuth token' : 'Password'} for ${c.user}`,
        data,
        credential: c,
      };
    });

    await run('auth', 'Authenticate', async () => {
      const c = credential?.credential as MailCredential;
      assertSmtpCredentialTransport(server);
      const conn = connection as SMTPConnection;
      // Registered only for OAuth: with a password, nodemailer must keep choosing PLAIN/LOGIN even
      // when the server lists XOAUTH2 first.
      if (c.kind === 'oauth2') conn.customAuth.set('XOAUTH2', authenticateXOAuth2);
      const authData =
        c.kind === 'password'
          ? { user: c.user, pass: c.password }
          : {
              user: c.user,
              oauth2: new XOAuth2({
                user: c.user,
                provisionCallback: createProvisionCallback(credentials, { forceNextRefresh: false }),
              }),
            };
      await waitFor<void>((resolve, reject) => conn.login(authData, (e) => (e ? reject(e) : resolve())));
      const method = (conn as unknown as { _authMethod?: string })._authMethod;
      return {
        detail: `Authenticated as ${c.user}${method ? ` with ${method}` : ''}`,
        data: { user: c.user, ...(method ? { method } : {}) },
      };
    });

    if (options.testMessage) {
      const testMessage = options.testMessage;
      await run('send', 'Send test message', async () => {
        const c = credential?.credential as MailCredential;
        const mail = new MailComposer(toMailOptions(testMessage, c.user) as never).compile();
        const envelope = mail.getEnvelope();
        const raw = await mail.build();
        const conn = connection as SMTPConnection;
        const info = await waitFor<{ accepted?: string[]; response?: string }>((resolve, reject) =>
          conn.send(envelope, raw, (e, i) => (e ? reject(e) : resolve(i as never))),
        );
        return { detail: info.response ?? 'Accepted', data: { accepted: info.accepted ?? [] } };
      });
    }
  } finally {
    if (connection) {
      const conn = connection;
      try {
        if (!failed) conn.quit();
        else conn.close();
      } catch {
        conn.close();
      }
    } else socket?.destroy();
  }
  return { ok: !failed, steps };
}
