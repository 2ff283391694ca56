import type { DiagnosticStep } from '@mailplug/core';
import {
  passwordCredentials,
  type SmtpTestServer,
  smtpTestServersClosedBy,
  startSmtpTestServer,
} from '@mailplug/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { smtp } from './index.js';
import { countingTokenSource, expectNoSecret, message, PLANTED_PASSWORD, USER } from './test-support.js';

let server: SmtpTestServer | undefined;
const startServer = smtpTestServersClosedBy(afterEach);

describe('probe', () => {
  it('starttls: every step ok, live, with certificate and capabilities, and a test message', async () => {
    server = await startServer({ users: { [USER]: PLANTED_PASSWORD } });
    const live: string[] = [];
    const report = await smtp.probe(server.settings, passwordCredentials(USER, PLANTED_PASSWORD), {
      onStep: (s) => live.push(s.id),
      testMessage: message,
    });
    expect(report.ok).toBe(true);
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([
      ['dns', 'ok'],
      ['tcp', 'ok'],
      ['greeting', 'ok'],
      ['starttls', 'ok'],
      ['capabilities', 'ok'],
      ['credential', 'ok'],
      ['auth', 'ok'],
      ['send', 'ok'],
    ]);
    expect(live).toEqual(report.steps.map((s) => s.id));
    const starttls = report.steps.find((s) => s.id === 'starttls') as DiagnosticStep;
    expect(starttls.data).toMatchObject({ subject: 'localhost', issuer: 'Mailplug Test CA' });
    expect(typeof starttls.data?.validTo).toBe('string');
    expect(report.steps.find((s) => s.id === 'capabilities')?.data?.authMechanisms).toEqual([
      'PLAIN',
      'LOGIN',
      'XOAUTH2',
    ]);
    expect(report.steps.find((s) => s.id === 'auth')?.data).toMatchObject({ method: 'PLAIN' });
    expect(report.steps.every((s) => s.durationMs >= 0)).toBe(true);
    expect(server.messages).toHaveLength(1);
    expectNoSecret(report, PLANTED_PASSWORD);
  });

  it('tls: reports the implicit TLS handshake and authenticates with XOAUTH2', async () => {
    const { source } = countingTokenSource(USER);
    server = await startServer({ security: 'tls', validateToken: () => true });
    const report = await smtp.probe(server.settings, source);
    expect(report.ok).toBe(true);
    expect(report.steps.map((s) => s.id)).toEqual([
      'dns',
      'tcp',
      'tls',
      'greeting',
      'capabilities',
      'credential',
      'auth',
    ]);
    expect(report.steps[2]?.data).toMatchObject({ issuer: 'Mailplug Test CA' });
    expect(report.steps.find((s) => s.id === 'auth')?.data).toMatchObject({ method: 'XOAUTH2' });
    expectNoSecret(report, 'planted-token-1-a8f3e1');
  });

  it('closed port: tcp fails with a hint, later steps are skipped, nothing throws', async () => {
    const closed = await startSmtpTestServer();
    const port = closed.port;
    await closed.close();
    const report = await smtp.probe(
      { host: '127.0.0.1', port, security: 'starttls' },
      passwordCredentials(USER, PLANTED_PASSWORD),
    );
    expect(report.ok).toBe(false);
    const tcp = report.steps.find((s) => s.id === 'tcp');
    expect(tcp).toMatchObject({
      status: 'failed',
      error: { code: 'SMTP_CONNECTION_REFUSED', action: 'admin' },
    });
    expect(tcp?.error?.hint).toMatch(/port/);
    expect(report.steps.filter((s) => s.status === 'skipped').map((s) => s.id)).toEqual([
      'greeting',
      'starttls',
      'capabilities',
      'credential',
      'auth',
    ]);
  });

  it('wrong password: auth fails with SMTP_BAD_CREDENTIALS; the password is nowhere in the report', async () => {
    server = await startServer({ users: { [USER]: 'the-real-one' } });
    const report = await smtp.probe(server.settings, passwordCredentials(USER, PLANTED_PASSWORD), {
      testMessage: message,
    });
    expect(report.ok).toBe(false);
    expect(report.steps.find((s) => s.id === 'auth')).toMatchObject({
      status: 'failed',
      error: { code: 'SMTP_BAD_CREDENTIALS', action: 'user' },
    });
    expect(report.steps.find((s) => s.id === 'send')?.status).toBe('skipped');
    expectNoSecret(report, PLANTED_PASSWORD);
  });

  it('starttls against a server without STARTTLS fails at the starttls step', async () => {
    server = await startServer({ security: 'none' });
    const report = await smtp.probe(
      { ...server.settings, security: 'starttls' },
      passwordCredentials(USER, PLANTED_PASSWORD),
    );
    expect(report.steps.find((s) => s.id === 'greeting')?.status).toBe('ok');
    expect(report.steps.find((s) => s.id === 'starttls')).toMatchObject({
      status: 'failed',
      error: { code: 'SMTP_STARTTLS_UNAVAILABLE' },
    });
    expect(server.authAttempts.PLAIN).toBe(0);
  });

  it('none without allowInsecureAuth: auth step fails with INSECURE_AUTH_REFUSED before sending credentials', async () => {
    server = await startServer({ security: 'none', users: { [USER]: PLANTED_PASSWORD } });
    const report = await smtp.probe(server.settings, passwordCredentials(USER, PLANTED_PASSWORD));
    expect(report.steps.find((s) => s.id === 'tls')?.status).toBe('skipped');
    expect(report.steps.find((s) => s.id === 'auth')).toMatchObject({
      status: 'failed',
      error: { code: 'INSECURE_AUTH_REFUSED' },
    });
    expect(server.authAttempts.PLAIN).toBe(0);
  });

  it('an untrusted certificate fails the tls step with the CA hint', async () => {
    server = await startServer({ security: 'tls' });
    const report = await smtp.probe(
      { ...server.settings, tls: {} },
      passwordCredentials(USER, PLANTED_PASSWORD),
    );
    expect(report.steps.find((s) => s.id === 'tls')).toMatchObject({
      status: 'failed',
      error: { code: 'SMTP_TLS_CERT_UNTRUSTED' },
    });
  });

  it('a failing CredentialSource fails the credential step with its own error', async () => {
    server = await startServer();
    const { MailplugError } = await import('@mailplug/core');
    const failing = {
      getCredential: async () => {
        throw new MailplugError({
          code: 'REAUTH_REQUIRED',
          action: 'user',
          message: 'Sign in again.',
          hint: 'Sign in again.',
        });
      },
    };
    const report = await smtp.probe(server.settings, failing);
    expect(report.steps.find((s) => s.id === 'credential')).toMatchObject({
      status: 'failed',
      error: { code: 'REAUTH_REQUIRED' },
    });
  });
});
