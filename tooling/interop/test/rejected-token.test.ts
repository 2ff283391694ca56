/**
 * A token Dovecot's introspection calls inactive surfaces as a classified, user-actionable
 * MailplugError on every protocol, and never leaks. Each protocol gets its own Dovecot: Dovecot's
 * per-IP auth penalty would otherwise delay every login after the first failure.
 */
import {
  type CredentialRequest,
  type CredentialSource,
  isMailplugError,
  type ServerSettings,
} from '@mailplug/core';
import { DEFAULT_IDS, type Emulator, startEmulator } from '@mailplug/emulator';
import { createImapProtocol } from '@mailplug/protocol-imap';
import { createPop3Protocol } from '@mailplug/protocol-pop3';
import { createSmtpProtocol } from '@mailplug/protocol-smtp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type DovecotInstance, startDovecot } from '../src/index.js';
import { MAILBOX } from './support/oauth-bed.js';

const revoked = 'revoked-interop-token-planted-424242';
let emulator: Emulator;
const running: DovecotInstance[] = [];

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await Promise.all(running.map((d) => d.stop()));
  await emulator?.stop();
});

async function ownDovecot(service: 'imaps' | 'pop3s' | 'submission'): Promise<ServerSettings> {
  const dovecot = await startDovecot({
    users: {},
    oauth2: {
      introspectionUrl: emulator.urls.introspection,
      clientId: DEFAULT_IDS.introspectionClientId,
      clientSecret: DEFAULT_IDS.introspectionSecret,
    },
  });
  running.push(dovecot);
  const security = service === 'submission' ? 'starttls' : 'tls';
  return {
    host: '127.0.0.1',
    port: dovecot.ports[service],
    security,
    timeoutMs: 20_000,
    tls: { ca: dovecot.ca },
  };
}

function revokedToken(): CredentialSource & { requests: CredentialRequest[] } {
  const requests: CredentialRequest[] = [];
  return {
    requests,
    async getCredential(request) {
      requests.push(request);
      return {
        kind: 'oauth2',
        user: MAILBOX,
        accessToken: revoked,
        expiresAt: Date.now() + 3_600_000,
        scopes: [],
      };
    },
  };
}

const leaks = (error: unknown) =>
  `${String(error)} ${JSON.stringify(isMailplugError(error) ? error.toJSON() : error)} ${(error as Error)?.stack ?? ''}`.includes(
    revoked,
  );

it('IMAP: one forced refresh, then IMAP_TOKEN_REJECTED for the user', async () => {
  const source = revokedToken();
  const error = await createImapProtocol({ silenceDeprecation: true, oauthMechanism: 'XOAUTH2' })
    .connect(await ownDovecot('imaps'), source)
    .catch((e: unknown) => e);
  expect(isMailplugError(error) && error.code).toBe('IMAP_TOKEN_REJECTED');
  expect(isMailplugError(error) && error.action).toBe('user');
  expect(isMailplugError(error) && error.hint).toMatch(/Sign in again/);
  expect(source.requests).toEqual([{ protocol: 'imap' }, { protocol: 'imap', forceRefresh: true }]);
  expect(leaks(error)).toBe(false);
});

it('POP3: POP3_AUTH_FAILED for the user', async () => {
  const error = await createPop3Protocol({ silenceDeprecation: true })
    .connect(await ownDovecot('pop3s'), revokedToken())
    .catch((e: unknown) => e);
  expect(isMailplugError(error) && error.code).toBe('POP3_AUTH_FAILED');
  expect(isMailplugError(error) && error.action).toBe('user');
  expect(leaks(error)).toBe(false);
});

it('SMTP submission: SMTP_TOKEN_REJECTED for the user', async () => {
  const server = await ownDovecot('submission');
  const error = await (async () => {
    const connection = await createSmtpProtocol().connect(server, revokedToken(), { pool: false });
    try {
      await connection.send({ from: MAILBOX, to: 'bob@example.test', subject: 'never', text: 'x' });
    } finally {
      await connection.close();
    }
  })().catch((e: unknown) => e);
  expect(isMailplugError(error) && error.action).toBe('user');
  expect(isMailplugError(error) && error.code).toBe('SMTP_TOKEN_REJECTED');
  expect(leaks(error)).toBe(false);
});
