import { basicAuth } from '@mailplug/auth-basic';
import { createMemorySecretStore, createMemoryTokenStore } from '@mailplug/core';
import { passwordCredentials, type SmtpTestServer, smtpTestServersClosedBy } from '@mailplug/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { smtp } from './index.js';
import { countingTokenSource, expectNoSecret, PLANTED_PASSWORD, sendOnce, USER } from './test-support.js';

let server: SmtpTestServer | undefined;
const startServer = smtpTestServersClosedBy(afterEach);

describe('security modes', () => {
  it('starttls: upgrades, then authenticates with PLAIN and delivers', async () => {
    server = await startServer({ security: 'starttls', users: { [USER]: PLANTED_PASSWORD } });
    const result = await sendOnce(server.settings);
    expect(result.accepted).toEqual(['bob@example.test']);
    expect(result.rejected).toEqual([]);
    expect(server.messages[0]).toMatchObject({
      authUser: USER,
      authMethod: 'PLAIN',
      envelope: { from: USER, to: ['bob@example.test'] },
    });
  });

  it('starttls: refuses a server that does not offer STARTTLS, before any credential is sent', async () => {
    server = await startServer({ security: 'none', users: { [USER]: PLANTED_PASSWORD } });
    const error = await sendOnce({ ...server.settings, security: 'starttls' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SMTP_STARTTLS_UNAVAILABLE', action: 'admin' });
    expect(server.authAttempts).toEqual({ PLAIN: 0, LOGIN: 0, XOAUTH2: 0 });
    expect(server.messages).toHaveLength(0);
  });

  it('tls: implicit TLS on any port with the CA from server.tls.ca', async () => {
    server = await startServer({ security: 'tls', users: { [USER]: PLANTED_PASSWORD } });
    await sendOnce({ ...server.settings, security: 'tls' });
    expect(server.messages).toHaveLength(1);
  });

  it('tls: a self-signed / unknown-CA certificate is refused with a hint to supply the CA', async () => {
    server = await startServer({ security: 'tls', users: { [USER]: PLANTED_PASSWORD } });
    const error = await sendOnce({ ...server.settings, tls: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SMTP_TLS_CERT_UNTRUSTED', action: 'admin' });
    expect((error as { hint: string }).hint).toContain('server.tls.ca');
    expect(server.authAttempts.PLAIN).toBe(0);
  });

  it('starttls: a certificate for another host name is refused', async () => {
    server = await startServer({
      security: 'starttls',
      certificate: { hostnames: ['mail.other.test'], ips: [] },
    });
    const error = await sendOnce(server.settings).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SMTP_TLS_HOSTNAME_MISMATCH', action: 'admin' });
  });

  it('starttls: an expired certificate is refused', async () => {
    server = await startServer({ security: 'starttls', certificate: { expired: true } });
    const error = await sendOnce(server.settings).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SMTP_TLS_CERT_EXPIRED', action: 'admin' });
  });

  it('tls: a self-signed server certificate is refused even with the test CA supplied', async () => {
    server = await startServer({ security: 'tls', certificate: { selfSigned: true } });
    const error = await sendOnce(server.settings).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SMTP_TLS_CERT_UNTRUSTED' });
  });

  it('none: refuses to send credentials in clear text unless allowInsecureAuth is set', async () => {
    server = await startServer({ security: 'none', users: { [USER]: PLANTED_PASSWORD } });
    const error = await sendOnce(server.settings).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INSECURE_AUTH_REFUSED', action: 'admin' });
    expect(server.connectionCount).toBe(0);
    expectNoSecret(error, PLANTED_PASSWORD);

    await sendOnce({ ...server.settings, allowInsecureAuth: true });
    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]?.authMethod).toBe('PLAIN');
  });

  it('rejects invalid server settings with CONFIG_INVALID', async () => {
    await expect(
      smtp.connect(
        { host: 'smtp.example.test', port: 0, security: 'starttls' },
        passwordCredentials(USER, 'x'),
      ),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});

describe('authentication', () => {
  it('uses LOGIN when that is the only password mechanism offered', async () => {
    server = await startServer({
      authMethods: ['LOGIN', 'XOAUTH2'],
      users: { [USER]: PLANTED_PASSWORD },
    });
    await sendOnce(server.settings);
    expect(server.messages[0]?.authMethod).toBe('LOGIN');
    expect(server.authAttempts.PLAIN).toBe(0);
  });

  it('works with the basic auth provider and a password from the secret store', async () => {
    server = await startServer({ users: { [USER]: PLANTED_PASSWORD } });
    const session = basicAuth.createSession({
      accountId: 'acme',
      settings: { username: USER, password: { secretRef: 'acme-pw' } },
      secrets: createMemorySecretStore({ 'acme-pw': PLANTED_PASSWORD }),
      tokenStore: createMemoryTokenStore(),
    });
    await sendOnce(server.settings, { credentials: session });
    expect(server.messages).toHaveLength(1);
  });

  it('wrong password → SMTP_BAD_CREDENTIALS (user) and the password appears nowhere', async () => {
    server = await startServer({ users: { [USER]: 'the-real-password' } });
    const error = await sendOnce(server.settings).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'SMTP_BAD_CREDENTIALS',
      action: 'user',
      details: { replyCode: 535, enhancedStatus: '5.7.8' },
    });
    expect((error as { hint: string }).hint).toMatch(/password/);
    expectNoSecret(error, PLANTED_PASSWORD);
  });

  it('XOAUTH2: authenticates with the token from the CredentialSource', async () => {
    const { source, state } = countingTokenSource(USER, ['planted-token-good-51f0']);
    server = await startServer({
      validateToken: (user, token) => user === USER && token === 'planted-token-good-51f0',
    });
    await sendOnce(server.settings, { credentials: source });
    expect(server.messages[0]).toMatchObject({ authUser: USER, authMethod: 'XOAUTH2' });
    expect(state.mints).toBe(1);
  });

  it('XOAUTH2: first token rejected → one forced refresh → second token accepted', async () => {
    const { source, state } = countingTokenSource(USER, [
      'planted-token-stale-11aa',
      'planted-token-fresh-22bb',
    ]);
    server = await startServer({
      validateToken: (_u, token) => token === 'planted-token-fresh-22bb',
    });
    await sendOnce(server.settings, { credentials: source });
    expect(server.messages).toHaveLength(1);
    expect(server.authAttempts.XOAUTH2).toBe(2);
    expect(state.mints).toBe(2);
    expect(state.forcedCalls).toBe(1);
  });

  it('XOAUTH2: both tokens rejected → SMTP_TOKEN_REJECTED after exactly 2 token fetches, tokens never shown', async () => {
    const { source, state } = countingTokenSource(USER, [
      'planted-token-bad1-33cc',
      'planted-token-bad2-44dd',
    ]);
    server = await startServer({ validateToken: () => false });
    const error = await sendOnce(server.settings, { credentials: source }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SMTP_TOKEN_REJECTED', action: 'user' });
    expect(state.mints).toBe(2);
    expect(server.authAttempts.XOAUTH2).toBe(2);
    expectNoSecret(error, 'planted-token-bad1-33cc', 'planted-token-bad2-44dd');
  });
});
