import { isMailplugError } from '@mailplug/core';
import type { Emulator } from '@mailplug/emulator';
import { passwordCredentials, tokenCredentials } from '@mailplug/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImapProtocol } from '../src/index.js';
import { alicePassword, appOnlyImapToken, imapServer, message, startImapEmulator, USER } from './helpers.js';

const imap = createImapProtocol({ silenceDeprecation: true });
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startImapEmulator();
  emulator.mail?.deliver(USER, message('for oauth'));
});
afterAll(() => emulator?.stop());

describe('IMAP authentication', () => {
  it('signs in with an OAuth token: OAUTHBEARER when offered (auto), XOAUTH2 when asked for', async () => {
    const token = await appOnlyImapToken(emulator);
    for (const [mechanism, expected] of [
      [undefined, 'OAUTHBEARER'],
      ['XOAUTH2', 'XOAUTH2'],
      ['OAUTHBEARER', 'OAUTHBEARER'],
    ] as const) {
      const credentials = tokenCredentials(USER, () => token);
      const protocol = createImapProtocol({
        silenceDeprecation: true,
        ...(mechanism ? { oauthMechanism: mechanism } : {}),
      });
      const connection = await protocol.connect(imapServer(emulator, 'starttls'), credentials);
      expect(connection.mechanism).toBe(expected);
      expect(await connection.list()).toHaveLength(1);
      await connection.close();
      expect(credentials.requests).toEqual([{ protocol: 'imap' }]);
    }
  });

  it('retries a rejected token once with forceRefresh and succeeds with the refreshed one', async () => {
    const good = await appOnlyImapToken(emulator);
    const credentials = tokenCredentials(USER, (r) => (r.forceRefresh ? good : 'revoked-token-planted-5521'));
    const connection = await imap.connect(imapServer(emulator), credentials);
    expect(await connection.list()).toHaveLength(1);
    await connection.close();
    expect(credentials.requests.map((r) => r.forceRefresh ?? false)).toEqual([false, true]);
  });

  it('reports a token rejected twice as IMAP_TOKEN_REJECTED for the user, without the token', async () => {
    const planted = 'rejected-token-planted-778899';
    const credentials = tokenCredentials(USER, () => planted);
    const error = await imap.connect(imapServer(emulator), credentials).catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('IMAP_TOKEN_REJECTED');
    expect(isMailplugError(error) && error.action).toBe('user');
    expect(isMailplugError(error) && error.hint).toMatch(/Sign in again/);
    expect(credentials.requests.map((r) => r.forceRefresh ?? false)).toEqual([false, true]);
    const everything = `${String(error)} ${JSON.stringify(isMailplugError(error) && error.toJSON())} ${(error as Error).stack}`;
    expect(everything).not.toContain(planted);
  });

  it('reports a wrong password as IMAP_AUTH_FAILED once (no token-style retry), without the password', async () => {
    const planted = 'wrong-password-planted-3141';
    const credentials = passwordCredentials(USER, planted);
    const error = await imap.connect(imapServer(emulator), credentials).catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('IMAP_AUTH_FAILED');
    expect(isMailplugError(error) && error.action).toBe('user');
    expect(credentials.requests).toHaveLength(1);
    expect(JSON.stringify(isMailplugError(error) && error.toJSON())).not.toContain(planted);
  });

  it('refuses credentials over security "none" unless allowInsecureAuth, before asking for them', async () => {
    const credentials = passwordCredentials(USER, alicePassword(emulator));
    const plain = { ...imapServer(emulator, 'starttls'), security: 'none' as const };
    const error = await imap.connect(plain, credentials).catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('INSECURE_AUTH_REFUSED');
    expect(isMailplugError(error) && error.hint).toMatch(/tls/);
    expect(credentials.requests).toHaveLength(0);

    // Allowed explicitly: no STARTTLS is attempted and the login happens in clear text on loopback.
    const connection = await imap.connect({ ...plain, allowInsecureAuth: true }, credentials);
    expect(await connection.list()).toHaveLength(1);
    await connection.close();
  });

  it('classifies an untrusted certificate as an admin error naming tls.ca', async () => {
    const untrusted = await imap
      .connect({ ...imapServer(emulator), tls: {} }, passwordCredentials(USER, alicePassword(emulator)))
      .catch((e: unknown) => e);
    expect(isMailplugError(untrusted) && untrusted.code).toBe('IMAP_TLS_CERT_UNTRUSTED');
    expect(isMailplugError(untrusted) && untrusted.hint).toMatch(/tls\.ca/);
  });

  it('probe reports every stage in order and stops at the failing one', async () => {
    const ok = await imap.probe(
      imapServer(emulator, 'starttls'),
      passwordCredentials(USER, alicePassword(emulator)),
    );
    expect(ok.ok).toBe(true);
    expect(ok.steps.map((s) => s.id)).toEqual([
      'dns',
      'tcp',
      'greeting',
      'capabilities',
      'starttls',
      'credential',
      'auth',
      'mailbox',
    ]);
    expect(ok.steps.find((s) => s.id === 'capabilities')?.data?.capabilities).toContain('AUTH=XOAUTH2');

    const planted = 'probe-wrong-password-2718';
    const bad = await imap.probe(imapServer(emulator), passwordCredentials(USER, planted));
    expect(bad.ok).toBe(false);
    expect(bad.steps.map((s) => `${s.id}:${s.status}`)).toEqual([
      'dns:ok',
      'tcp:ok',
      'tls:ok',
      'greeting:ok',
      'capabilities:ok',
      'credential:ok',
      'auth:failed',
      'mailbox:skipped',
    ]);
    expect(bad.steps.find((s) => s.id === 'auth')?.error?.code).toBe('IMAP_AUTH_FAILED');
    expect(JSON.stringify(bad)).not.toContain(planted);

    const tls = await imap.probe(
      { ...imapServer(emulator), tls: {} },
      passwordCredentials(USER, alicePassword(emulator)),
    );
    expect(tls.steps.find((s) => s.status === 'failed')).toMatchObject({
      id: 'tls',
      error: { code: 'IMAP_TLS_CERT_UNTRUSTED' },
    });
  });
});
