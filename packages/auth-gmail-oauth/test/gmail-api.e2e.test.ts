/**
 * The Gmail API route: an account that only uses `gmail-api` signs in for `gmail.send` alone (no
 * restricted scope), sends through @mailplug/protocol-gmail-api in core's mailer, and the same
 * token is refused by Gmail's SMTP (which accepts only the full mail scope).
 */
import {
  type CredentialSource,
  createMailer,
  createMemorySecretStore,
  createMemoryTokenStore,
  createRegistry,
  type MailAccount,
  type Mailer,
  type OAuth2Credential,
  type Registry,
} from '@mailplug/core';
import { createGmailApiProtocol } from '@mailplug/protocol-gmail-api';
import { createSmtpProtocol } from '@mailplug/protocol-smtp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGmailOAuth, type GmailOAuthSession } from '../src/index.js';
import { type GoogleTestBed, headlessAuthorize, MAIL_SCOPE, startGoogleTestBed } from './helpers.js';

const GMAIL_SEND = 'https://www.googleapis.com/auth/gmail.send';
const BOB = 'bob@contoso.test';

describe('gmail-oauth with the Gmail API (real google-auth-library against the emulator)', () => {
  let bed: GoogleTestBed;
  let registry: Registry;
  let mailer: Mailer;
  beforeAll(async () => {
    bed = await startGoogleTestBed();
    registry = createRegistry();
    registry.register(createGmailOAuth());
    registry.register(createGmailApiProtocol({ basePath: '/gmail-api', proxy: false }));
    mailer = createMailer({
      registry,
      secrets: createMemorySecretStore(bed.secrets),
      tokenStore: createMemoryTokenStore(),
      permissions: { canSendOnBehalfOfOrganization: () => true },
    });
  });
  afterAll(async () => {
    await mailer?.dispose();
    await registry?.dispose();
    await bed?.stop();
  });

  it('signs in asking only gmail.send, sends through the Gmail API; Gmail SMTP refuses the same token', async () => {
    const account: MailAccount = {
      id: 'gmail-api-only',
      protocol: 'gmail-api',
      server: {
        host: '127.0.0.1',
        port: bed.emulator.ports.https,
        security: 'tls',
        caFile: bed.emulator.caCertPath,
        timeoutSeconds: 10,
      },
      auth: { provider: 'gmail-oauth', settings: { ...bed.settings, protocols: ['gmail-api'] } },
      identity: { fromAddress: 'alice@contoso.test' },
      scope: { kind: 'system' },
    };
    const session = (await mailer.sessionFor(account)) as GmailOAuthSession;
    const start = await session.interactive.begin();
    const requested = (new URL(start.url).searchParams.get('scope') ?? '').split(' ');
    expect(requested).toContain(GMAIL_SEND);
    expect(requested).not.toContain(MAIL_SCOPE);
    expect(requested).toEqual(expect.arrayContaining(['openid', 'email']));
    await session.interactive.complete(await headlessAuthorize(start));

    const credential = (await session.getCredential({ protocol: 'gmail-api' })) as OAuth2Credential;
    // Check Authorization probes the account's own protocol, not SMTP it cannot use.
    expect((await session.checkAuthorization()).state).toBe('authorized');
    expect(credential.scopes).toContain(GMAIL_SEND);
    expect(credential.scopes).not.toContain(MAIL_SCOPE);
    // The account does not use SMTP, so the session does not hand its token out for it.
    await expect(session.getCredential({ protocol: 'smtp' })).rejects.toMatchObject({
      code: 'PROTOCOL_MISMATCH',
    });

    const result = await mailer.send({
      account,
      message: { to: BOB, subject: 'Only gmail.send', text: 'x' },
    });
    expect(result.accepted).toEqual([BOB]);
    expect(bed.emulator.mail.list(BOB).some((m) => m.subject === 'Only gmail.send')).toBe(true);

    // Offered to Gmail's SMTP anyway, the gmail.send token is refused.
    const smtpServer = bed.emulator.settings['gmail-oauth'].servers?.smtp;
    if (!smtpServer) throw new Error('the emulator has no SMTP server');
    const sameToken: CredentialSource = { getCredential: async () => credential };
    const smtp = await createSmtpProtocol().connect(smtpServer, sameToken, { pool: false });
    const refused = await smtp.send({ to: BOB, subject: 'over smtp', text: 'x' }).catch((e: unknown) => e);
    await smtp.close();
    expect(refused).toMatchObject({ code: 'SMTP_TOKEN_REJECTED' });
    expect(bed.emulator.mail.list(BOB).some((m) => m.subject === 'over smtp')).toBe(false);
  });
});
