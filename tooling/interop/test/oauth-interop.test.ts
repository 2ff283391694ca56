/**
 * Interop against a real Dovecot: IMAP (XOAUTH2 and OAUTHBEARER), POP3 (AUTH XOAUTH2 and
 * USER/PASS) and SMTP submission (XOAUTH2) with tokens from the real Gmail and Microsoft 365
 * providers, validated by Dovecot through the emulator's RFC 7662 introspection endpoint.
 */
import type { AuthProvider, CredentialSource, OAuth2Credential } from '@mailplug/core';
import { isMailplugError } from '@mailplug/core';
import { createImapProtocol } from '@mailplug/protocol-imap';
import { createSmtpProtocol } from '@mailplug/protocol-smtp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedToken, MAILBOX, type OAuthBed, PASSWORD, PASSWORD_USER, passwordSource, rawMessage, startOAuthBed } from './support/oauth-bed.js';
import { loadPop3 } from './support/pop3.js';

let bed: OAuthBed;
beforeAll(async () => {
  bed = await startOAuthBed();
  await bed.dovecot.deliver(MAILBOX, rawMessage('interop inbox'));
  await bed.dovecot.deliver(PASSWORD_USER, rawMessage('password inbox'));
});
afterAll(async () => {
  if (process.env.MAILPLUG_DEBUG_LOG) console.log(await bed?.dovecot.readLog());
  await bed?.stop();
});

const providers: [string, () => AuthProvider][] = [
  ['Gmail (service account)', () => bed.gmail],
  ['Microsoft 365 (delegated)', () => bed.microsoft],
];

/** Dovecot logs one `Login:` line per successful login with the SASL method. */
async function loginMethods(protocol: 'imap' | 'pop3' | 'submission'): Promise<string[]> {
  const log = await bed.dovecot.readLog();
  return [...log.matchAll(new RegExp(`${protocol}-login: Login: user=<([^>]*)>, method=([A-Z0-9-]+)`, 'g'))].map(
    (m) => `${m[1]}:${m[2]}`,
  );
}

describe.each(providers)('%s tokens against Dovecot', (_name, provider) => {
  it('the provider hands out an OAuth token for the mailbox', async () => {
    const credential = (await provider().getCredential({ protocol: 'imap' })) as OAuth2Credential;
    if (process.env.MAILPLUG_DEBUG_LOG) console.log('token length', credential.accessToken.length);
    expect(credential.kind).toBe('oauth2');
    expect(credential.user).toBe(MAILBOX);
  });

  it.each(['XOAUTH2', 'OAUTHBEARER'] as const)('IMAP signs in with %s and lists the mailbox', async (mechanism) => {
    const before = (await loginMethods('imap')).length;
    const imap = createImapProtocol({ silenceDeprecation: true, oauthMechanism: mechanism });
    const connection = await imap.connect(bed.server('imaps'), provider());
    try {
      expect(connection.mechanism).toBe(mechanism);
      const list = await connection.list();
      expect(list.length).toBeGreaterThan(0);
      expect(Buffer.from(await connection.fetch(list[0]?.id ?? '')).toString()).toContain('Subject: interop inbox');
    } finally {
      await connection.close();
    }
    expect((await loginMethods('imap')).slice(before)).toEqual([`${MAILBOX}:${mechanism}`]);
  });

  it('IMAP over STARTTLS (port 143 style) with the automatic mechanism choice', async () => {
    const connection = await createImapProtocol({ silenceDeprecation: true }).connect(bed.server('imap'), provider());
    expect(connection.mechanism).toBe('OAUTHBEARER');
    await connection.close();
  });

  it('POP3 signs in with AUTH XOAUTH2 (two-step) and lists', async () => {
    const before = (await loginMethods('pop3')).length;
    const pop3 = loadPop3().createPop3Protocol({ silenceDeprecation: true });
    const connection = await pop3.connect(bed.server('pop3s'), provider());
    try {
      expect((await connection.list()).length).toBeGreaterThan(0);
    } finally {
      await connection.close();
    }
    expect((await loginMethods('pop3')).slice(before)).toEqual([`${MAILBOX}:XOAUTH2`]);
  });

  it('SMTP submission authenticates with XOAUTH2 and Dovecot relays the message', async () => {
    const before = bed.dovecot.relayed.length;
    const subject = `interop ${_name}`;
    const smtp = createSmtpProtocol();
    const connection = await smtp.connect(bed.server('submission'), provider(), { pool: false });
    try {
      const result = await connection.send({ from: MAILBOX, to: 'bob@example.test', subject, text: 'hello' });
      expect(result.accepted).toEqual(['bob@example.test']);
    } finally {
      await connection.close();
    }
    const relayed = bed.dovecot.relayed.slice(before);
    expect(relayed.map((m) => m.to)).toEqual([['bob@example.test']]);
    expect(relayed[0]?.raw.toString()).toContain(`Subject: ${subject}`);
    expect((await loginMethods('submission')).at(-1)).toBe(`${MAILBOX}:XOAUTH2`);
  });
});

describe('passwords from the passwd-file', () => {
  it('POP3 USER/PASS and IMAP sign in with the password', async () => {
    const credentials: CredentialSource = passwordSource(PASSWORD_USER, PASSWORD);
    const pop3 = loadPop3().createPop3Protocol({ silenceDeprecation: true, passwordMechanism: 'user' });
    const popConnection = await pop3.connect(bed.server('pop3'), credentials);
    expect((await popConnection.list()).length).toBe(1);
    await popConnection.close();

    const imapConnection = await createImapProtocol({ silenceDeprecation: true }).connect(bed.server('imaps'), credentials);
    expect(imapConnection.mechanism).toBe('PLAIN');
    expect((await imapConnection.list()).length).toBe(1);
    await imapConnection.close();
    const pop3Logins = await loginMethods('pop3');
    expect(pop3Logins).toContain(`${PASSWORD_USER}:PLAIN`);
  });
});

describe('rejected tokens surface as classified errors', () => {
  const revoked = 'revoked-interop-token-planted-424242';
  const leaks = (error: unknown) =>
    `${String(error)} ${JSON.stringify(isMailplugError(error) ? error.toJSON() : error)} ${(error as Error)?.stack ?? ''}`.includes(
      revoked,
    );

  it('IMAP: one forced refresh, then IMAP_TOKEN_REJECTED for the user', async () => {
    const source = fixedToken(MAILBOX, revoked);
    const error = await createImapProtocol({ silenceDeprecation: true, oauthMechanism: 'XOAUTH2' })
      .connect(bed.server('imaps'), source)
      .catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('IMAP_TOKEN_REJECTED');
    expect(isMailplugError(error) && error.action).toBe('user');
    expect(source.requests).toEqual([{ protocol: 'imap' }, { protocol: 'imap', forceRefresh: true }]);
    expect(leaks(error)).toBe(false);
  });

  it('POP3: POP3_AUTH_FAILED for the user', async () => {
    const error = await loadPop3()
      .createPop3Protocol({ silenceDeprecation: true })
      .connect(bed.server('pop3s'), fixedToken(MAILBOX, revoked))
      .catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('POP3_AUTH_FAILED');
    expect(isMailplugError(error) && error.action).toBe('user');
    expect(leaks(error)).toBe(false);
  });

  it('SMTP submission: a user-actionable MailplugError', async () => {
    const error = await (async () => {
      const connection = await createSmtpProtocol().connect(bed.server('submission'), fixedToken(MAILBOX, revoked), {
        pool: false,
      });
      try {
        await connection.send({ from: MAILBOX, to: 'bob@example.test', subject: 'never', text: 'x' });
      } finally {
        await connection.close();
      }
    })().catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('SMTP_TOKEN_REJECTED');
    expect(isMailplugError(error) && error.action).toBe('user');
    expect(leaks(error)).toBe(false);
  });
});
