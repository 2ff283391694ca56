/**
 * Interop against a real Dovecot: IMAP (XOAUTH2 and OAUTHBEARER), POP3 (AUTH XOAUTH2 and
 * USER/PASS) and SMTP submission (XOAUTH2) with tokens from the real Gmail and Microsoft 365
 * providers, validated by Dovecot through the emulator's RFC 7662 introspection endpoint.
 */
import type { AuthSession, CredentialSource, OAuth2Credential } from '@mailplug/core';
import { createImapProtocol } from '@mailplug/protocol-imap';
import { createPop3Protocol } from '@mailplug/protocol-pop3';
import { createSmtpProtocol } from '@mailplug/protocol-smtp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAILBOX,
  type OAuthBed,
  PASSWORD,
  PASSWORD_USER,
  passwordSource,
  rawMessage,
  startOAuthBed,
} from './support/oauth-bed.js';

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

const providers: [string, () => AuthSession][] = [
  ['Gmail (service account)', () => bed.gmail],
  ['Microsoft 365 (delegated)', () => bed.microsoft],
];

/** Dovecot logs one `Login:` line per successful login, with the SASL method. */
async function loginMethods(protocol: 'imap' | 'pop3' | 'submission'): Promise<string[]> {
  const log = await bed.dovecot.readLog();
  return [
    ...log.matchAll(new RegExp(`${protocol}-login: Info: Login: user=<([^>]*)>, method=([A-Z0-9-]+)`, 'g')),
  ].map((m) => `${m[1]}:${m[2]}`);
}

/** Logins after the first `before`; Dovecot's log process writes asynchronously, so wait until it caught up. */
async function loginsSince(
  protocol: 'imap' | 'pop3' | 'submission',
  before: number,
  expected: number,
): Promise<string[]> {
  for (let i = 0; i < 200; i += 1) {
    const logins = (await loginMethods(protocol)).slice(before);
    if (logins.length >= expected) return logins;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return (await loginMethods(protocol)).slice(before);
}

describe.each(providers)('%s tokens against Dovecot', (_name, provider) => {
  it('the provider hands out an OAuth token for the mailbox', async () => {
    const credential = (await provider().getCredential({ protocol: 'imap' })) as OAuth2Credential;
    expect(credential.kind).toBe('oauth2');
    expect(credential.user).toBe(MAILBOX);
  });

  it.each(['XOAUTH2', 'OAUTHBEARER'] as const)(
    'IMAP signs in with %s and lists the mailbox',
    async (mechanism) => {
      const before = (await loginMethods('imap')).length;
      const imap = createImapProtocol({ silenceDeprecation: true, oauthMechanism: mechanism });
      const connection = await imap.connect(bed.server('imaps'), provider());
      try {
        expect(connection.mechanism).toBe(mechanism);
        const list = await connection.list();
        expect(list.length).toBeGreaterThan(0);
        expect(Buffer.from(await connection.fetch(list[0]?.id ?? '')).toString()).toContain(
          'Subject: interop inbox',
        );
      } finally {
        await connection.close();
      }
      expect(await loginsSince('imap', before, 1)).toEqual([`${MAILBOX}:${mechanism}`]);
    },
  );

  it('IMAP over STARTTLS (port 143 style) with the automatic mechanism choice', async () => {
    const connection = await createImapProtocol({ silenceDeprecation: true }).connect(
      bed.server('imap'),
      provider(),
    );
    expect(connection.mechanism).toBe('OAUTHBEARER');
    await connection.close();
  });

  it('POP3 signs in with AUTH XOAUTH2 (two-step) and lists', async () => {
    const before = (await loginMethods('pop3')).length;
    const pop3 = createPop3Protocol({ silenceDeprecation: true });
    const connection = await pop3.connect(bed.server('pop3s'), provider());
    try {
      expect((await connection.list()).length).toBeGreaterThan(0);
    } finally {
      await connection.close();
    }
    expect(await loginsSince('pop3', before, 1)).toEqual([`${MAILBOX}:XOAUTH2`]);
  });

  // Dovecot 2.3 submission answers `500 5.5.2 Line too long` to an AUTH line over 512 octets. A
  // Microsoft-sized JWT (~1.3 KB here, up to ~2.5 KB in production) therefore needs the RFC 4954 §4
  // form (`AUTH XOAUTH2`, `334`, response) that @mailplug/protocol-smtp switches to; Gmail's short
  // tokens keep the one-line form. Both must be accepted here.
  it('SMTP submission authenticates with XOAUTH2 and Dovecot relays the message', async () => {
    const before = bed.dovecot.relayed.length;
    const loginsBefore = (await loginMethods('submission')).length;
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
    expect(await loginsSince('submission', loginsBefore, 1)).toEqual([`${MAILBOX}:XOAUTH2`]);
  });
});

describe('passwords from the passwd-file', () => {
  it('POP3 USER/PASS and IMAP sign in with the password', async () => {
    const credentials: CredentialSource = passwordSource(PASSWORD_USER, PASSWORD);
    const pop3 = createPop3Protocol({ silenceDeprecation: true, passwordMechanism: 'user' });
    const popConnection = await pop3.connect(bed.server('pop3'), credentials);
    expect((await popConnection.list()).length).toBe(1);
    await popConnection.close();

    const imapConnection = await createImapProtocol({ silenceDeprecation: true }).connect(
      bed.server('imaps'),
      credentials,
    );
    expect(imapConnection.mechanism).toBe('PLAIN');
    expect((await imapConnection.list()).length).toBe(1);
    await imapConnection.close();
    const logins = [...(await loginsSince('pop3', 0, 1)), ...(await loginsSince('imap', 0, 1))];
    expect(logins.filter((l) => l.startsWith(PASSWORD_USER))).toEqual([
      `${PASSWORD_USER}:PLAIN`,
      `${PASSWORD_USER}:PLAIN`,
    ]);
  });
});
