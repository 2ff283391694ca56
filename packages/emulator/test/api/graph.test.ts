/**
 * Microsoft Graph sendMail against tokens minted by the emulator for the real msal-node: Graph and
 * Outlook tokens from one sign-in (and one client credential), every refusal in Graph's shape,
 * delivery read back over IMAP, and SMTP AUTH switched off so a fallback to Graph can be tested.
 */
import {
  type AccountInfo,
  ConfidentialClientApplication,
  type Configuration,
  CryptoProvider,
  PublicClientApplication,
} from '@azure/msal-node';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IDS, DEFAULT_TENANT_ID, type Emulator, startEmulator } from '../../src/index.js';
import { decodeJwtClaims, httpsRequest } from '../identity/helpers.js';
import { b64, bearer, response, rfc822, wire } from '../wire.js';

const SMTP_SCOPE = 'https://outlook.office.com/SMTP.Send';
const GRAPH_SEND = 'https://graph.microsoft.com/Mail.Send';
const GRAPH_SHARED = 'https://graph.microsoft.com/Mail.Send.Shared';
const REDIRECT = 'http://localhost:53682/callback';
const RESTRICTED_APP = '5a1e7c00-0000-4000-8000-00000000d001';
const NO_GRAPH_APP = '5a1e7c00-0000-4000-8000-00000000d002';

let emulator: Emulator;

function msal(clientId: string, auth: Partial<Configuration['auth']> = {}): Configuration {
  return {
    auth: {
      clientId,
      authority: emulator.urls.microsoftAuthority(),
      knownAuthorities: [emulator.urls.microsoftKnownAuthority],
      authorityMetadata: emulator.urls.microsoftAuthorityMetadata(),
      ...auth,
    },
    system: { networkClient: emulator.msalNetworkClient },
  };
}

/** Signs `email` in for Outlook SMTP with auth code + PKCE; returns the app and account. */
async function signIn(email: string): Promise<{ app: PublicClientApplication; account: AccountInfo }> {
  const app = new PublicClientApplication(msal(DEFAULT_IDS.publicAppClientId));
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const url = await app.getAuthCodeUrl({
    scopes: [SMTP_SCOPE],
    redirectUri: REDIRECT,
    codeChallenge: challenge,
    codeChallengeMethod: 'S256',
    loginHint: email,
  });
  const back = await httpsRequest(emulator.caCertPem, url);
  const code = new URL(String(back.headers.location)).searchParams.get('code') ?? '';
  const result = await app.acquireTokenByCode({
    code,
    scopes: [SMTP_SCOPE],
    redirectUri: REDIRECT,
    codeVerifier: verifier,
  });
  if (!result.account) throw new Error('msal returned no account');
  return { app, account: result.account };
}

async function graphToken(email: string, scopes = [GRAPH_SEND]): Promise<string> {
  const { app, account } = await signIn(email);
  return (await app.acquireTokenSilent({ account, scopes })).accessToken;
}

async function appToken(clientId: string, secret: string, scope: string): Promise<string> {
  const app = new ConfidentialClientApplication(msal(clientId, { clientSecret: secret }));
  const result = await app.acquireTokenByClientCredential({ scopes: [scope] });
  if (!result) throw new Error('no token');
  return result.accessToken;
}

function sendMail(token: string, path: string, body: string, contentType = 'text/plain') {
  return wire(`${emulator.urls.graphBase}/v1.0/${path}/sendMail`, {
    method: 'POST',
    ca: emulator.caCertPem,
    headers: { ...bearer(token), 'content-type': contentType },
    body,
  });
}

const mime = (headers: Record<string, string>, text?: string) => b64(rfc822(headers, text));

async function graphError(pending: ReturnType<typeof sendMail>) {
  const res = response(await pending);
  return { status: res.status, ...(res.json().error as { code: string; message: string }) };
}

beforeAll(async () => {
  emulator = await startEmulator({
    identity: {
      autoApprove: 'first-user',
      users: [
        { email: 'alice@contoso.test', displayName: 'Alice' },
        { email: 'bob@contoso.test', displayName: 'Bob', password: 'bob-password' },
        { email: 'shared@contoso.test', displayName: 'Shared mailbox' },
        { email: 'carol@contoso.test', displayName: 'Carol' },
      ],
    },
    mail: {
      canActAs: (user, mailbox) => user === 'alice@contoso.test' && mailbox === 'shared@contoso.test',
      appMailboxPermissions: (appId) =>
        appId === DEFAULT_IDS.daemonClientId ? ['*'] : appId === RESTRICTED_APP ? ['alice@contoso.test'] : [],
    },
  });
  emulator.identity.addMicrosoftApp({
    clientId: RESTRICTED_APP,
    secrets: ['restricted-secret'],
    applicationPermissions: ['Mail.Send'],
  });
  emulator.identity.addMicrosoftApp({
    clientId: NO_GRAPH_APP,
    secrets: ['smtp-only-secret'],
    applicationPermissions: ['SMTP.SendAsApp'],
  });
});

afterAll(async () => {
  await emulator.stop();
});

describe('Microsoft tokens for Graph', () => {
  it('one sign-in yields Outlook and Graph tokens; one client credential yields both app-only tokens', async () => {
    const { app, account } = await signIn('alice@contoso.test');
    const graph = await app.acquireTokenSilent({ account, scopes: [GRAPH_SEND] });
    expect(decodeJwtClaims(graph.accessToken)).toMatchObject({
      aud: 'https://graph.microsoft.com',
      scp: 'Mail.Send',
      upn: 'alice@contoso.test',
    });
    const outlook = await app.acquireTokenSilent({ account, scopes: [SMTP_SCOPE], forceRefresh: true });
    expect(decodeJwtClaims(outlook.accessToken)).toMatchObject({ aud: 'https://outlook.office.com' });

    const graphApp = decodeJwtClaims(
      await appToken(
        DEFAULT_IDS.daemonClientId,
        DEFAULT_IDS.daemonSecret,
        'https://graph.microsoft.com/.default',
      ),
    );
    expect(graphApp).toMatchObject({
      aud: 'https://graph.microsoft.com',
      roles: ['Mail.Send'],
      idtyp: 'app',
    });
    const exchangeApp = decodeJwtClaims(
      await appToken(
        DEFAULT_IDS.daemonClientId,
        DEFAULT_IDS.daemonSecret,
        'https://outlook.office365.com/.default',
      ),
    );
    expect(exchangeApp.roles).toEqual(['SMTP.SendAsApp', 'IMAP.AccessAsApp', 'POP.AccessAsApp']);
  });

  it('mixing Graph and Outlook scopes fails: AADSTS28000 at the token endpoint, AADSTS70011 at authorize', async () => {
    const { app, account } = await signIn('alice@contoso.test');
    await expect(
      app.acquireTokenSilent({ account, scopes: [GRAPH_SEND, SMTP_SCOPE], forceRefresh: true }),
    ).rejects.toMatchObject({ errorCode: 'invalid_scope', errorNo: 28000 });
    const url = `${emulator.urls.microsoftAuthority()}/oauth2/v2.0/authorize?${new URLSearchParams({
      client_id: DEFAULT_IDS.publicAppClientId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: `${GRAPH_SEND} ${SMTP_SCOPE}`,
    })}`;
    const back = new URL(String((await httpsRequest(emulator.caCertPem, url)).headers.location));
    expect(back.searchParams.get('error')).toBe('invalid_scope');
    expect(back.searchParams.get('error_description')).toMatch(/^AADSTS70011: /);
  });
});

describe('POST /v1.0/{me | users/{id}}/sendMail', () => {
  it('MIME form: 202, Bcc stripped for recipients, kept in Sent, read back over IMAP', async () => {
    const token = await graphToken('alice@contoso.test');
    const res = response(
      await sendMail(
        token,
        'me',
        mime({
          From: 'alice@contoso.test',
          To: 'bob@contoso.test',
          Bcc: 'carol@contoso.test',
          Subject: 'Graph MIME hello',
        }),
      ),
    );
    expect(res.status).toBe(202);
    expect(res.body).toBe('');
    expect(res.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const [carolCopy] = emulator.mail.list('carol@contoso.test');
    expect(carolCopy?.subject).toBe('Graph MIME hello');
    expect(carolCopy?.raw.toString()).not.toMatch(/^Bcc:/im);
    const sent = emulator.mail.list('alice@contoso.test', 'Sent').at(-1);
    expect(sent?.raw.toString()).toMatch(/^Bcc: carol@contoso.test/im);
    expect(sent?.raw.toString()).toMatch(/^Message-ID: </im);

    const imap = new ImapFlow({
      host: '127.0.0.1',
      port: emulator.ports.imaps ?? 0,
      secure: true,
      tls: { ca: emulator.caCertPem, servername: 'localhost' },
      auth: { user: 'bob@contoso.test', pass: 'bob-password' },
      logger: false,
    });
    await imap.connect();
    const lock = await imap.getMailboxLock('INBOX');
    const subjects: string[] = [];
    for await (const m of imap.fetch('1:*', { envelope: true })) subjects.push(m.envelope?.subject ?? '');
    lock.release();
    await imap.logout();
    expect(subjects).toContain('Graph MIME hello');
  });

  it('JSON form: builds the message (subject, HTML body, recipients, attachment) and honours saveToSentItems', async () => {
    const token = await graphToken('alice@contoso.test');
    const before = emulator.mail.list('alice@contoso.test', 'Sent').length;
    const message = {
      subject: 'Graph JSON – über',
      body: { contentType: 'HTML', content: '<p>Hi Bob</p>' },
      toRecipients: [{ emailAddress: { address: 'bob@contoso.test', name: 'Bob' } }],
      internetMessageHeaders: [{ name: 'X-Case-Id', value: '42' }],
      attachments: [
        {
          '@odata.type': '#microsoft.graph.fileAttachment',
          name: 'note.txt',
          contentType: 'text/plain',
          contentBytes: b64('attached'),
        },
      ],
    };
    const res = response(
      await sendMail(
        token,
        'users/alice@contoso.test',
        JSON.stringify({ message, saveToSentItems: false }),
        'application/json',
      ),
    );
    expect(res.status).toBe(202);
    const got = emulator.mail.list('bob@contoso.test').at(-1);
    expect(got?.subject).toBe('Graph JSON – über');
    const raw = got?.raw.toString() ?? '';
    expect(raw).toMatch(/^X-Case-Id: 42$/m);
    expect(raw).toMatch(/multipart\/mixed/);
    expect(raw).toContain(b64('<p>Hi Bob</p>'));
    expect(raw).toContain(b64('attached'));
    expect(emulator.mail.list('alice@contoso.test', 'Sent').length).toBe(before);
  });

  it('401 InvalidAuthenticationToken: an Outlook token, a Google token, an expired token, no token', async () => {
    const { app, account } = await signIn('alice@contoso.test');
    const outlook = (await app.acquireTokenSilent({ account, scopes: [SMTP_SCOPE] })).accessToken;
    const wrongAudience = await sendMail(outlook, 'me', mime({ To: 'bob@contoso.test' }));
    expect(response(wrongAudience).headers['www-authenticate']).toMatch(/^Bearer realm=""/);
    expect(await graphError(Promise.resolve(wrongAudience))).toMatchObject({
      status: 401,
      code: 'InvalidAuthenticationToken',
      message: 'Access token validation failure. Invalid audience.',
    });
    expect(
      await graphError(sendMail('ya29.a0-google-token', 'me', mime({ To: 'bob@contoso.test' }))),
    ).toMatchObject({
      status: 401,
      code: 'InvalidAuthenticationToken',
      message: expect.stringMatching(/^IDX14100/),
    });
    const graph = await graphToken('alice@contoso.test');
    emulator.identity.advanceClock(3700);
    try {
      expect(await graphError(sendMail(graph, 'me', mime({ To: 'bob@contoso.test' })))).toMatchObject({
        status: 401,
        message: 'Lifetime validation failed, the token is expired.',
      });
    } finally {
      emulator.identity.advanceClock(-3700);
    }
    const none = await wire(`${emulator.urls.graphBase}/v1.0/me/sendMail`, {
      method: 'POST',
      ca: emulator.caCertPem,
    });
    expect(response(none).json()).toMatchObject({
      error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' },
    });
  });

  it('delegated: another mailbox needs Mail.Send.Shared and a permission on it (ErrorAccessDenied), another From needs Send As (ErrorSendAsDenied)', async () => {
    const sendOnly = await graphToken('alice@contoso.test');
    expect(
      await graphError(sendMail(sendOnly, 'users/shared@contoso.test', mime({ To: 'bob@contoso.test' }))),
    ).toMatchObject({
      status: 403,
      code: 'ErrorAccessDenied',
    });
    const shared = await graphToken('alice@contoso.test', [GRAPH_SEND, GRAPH_SHARED]);
    expect(
      response(
        await sendMail(
          shared,
          'users/shared@contoso.test',
          mime({ From: 'shared@contoso.test', To: 'bob@contoso.test', Subject: 'from shared' }),
        ),
      ).status,
    ).toBe(202);
    expect(
      await graphError(sendMail(shared, 'users/carol@contoso.test', mime({ To: 'bob@contoso.test' }))),
    ).toMatchObject({
      status: 403,
      code: 'ErrorAccessDenied',
    });
    expect(
      await graphError(
        sendMail(sendOnly, 'me', mime({ From: 'carol@contoso.test', To: 'bob@contoso.test' })),
      ),
    ).toMatchObject({
      status: 403,
      code: 'ErrorSendAsDenied',
    });
    const user = emulator.users.find((u) => u.email === 'alice@contoso.test');
    expect(
      response(await sendMail(sendOnly, `users/${user?.id}`, mime({ To: 'bob@contoso.test' }))).status,
    ).toBe(202);
    expect(
      await graphError(sendMail(sendOnly, 'users/nobody@contoso.test', mime({ To: 'bob@contoso.test' }))),
    ).toMatchObject({
      status: 404,
      code: 'ErrorInvalidUser',
    });
  });

  it('app-only: role Mail.Send plus the app mailbox permission table; /me is refused', async () => {
    const daemon = await appToken(
      DEFAULT_IDS.daemonClientId,
      DEFAULT_IDS.daemonSecret,
      'https://graph.microsoft.com/.default',
    );
    expect(
      response(
        await sendMail(
          daemon,
          'users/bob@contoso.test',
          mime({ To: 'alice@contoso.test', Subject: 'as bob' }),
        ),
      ).status,
    ).toBe(202);
    expect(emulator.mail.list('alice@contoso.test').at(-1)?.subject).toBe('as bob');
    expect(await graphError(sendMail(daemon, 'me', mime({ To: 'alice@contoso.test' })))).toMatchObject({
      status: 400,
      code: 'BadRequest',
      message: '/me request is only valid with delegated authentication flow.',
    });
    const restricted = await appToken(
      RESTRICTED_APP,
      'restricted-secret',
      'https://graph.microsoft.com/.default',
    );
    expect(
      response(await sendMail(restricted, 'users/alice@contoso.test', mime({ To: 'bob@contoso.test' })))
        .status,
    ).toBe(202);
    expect(
      await graphError(sendMail(restricted, 'users/bob@contoso.test', mime({ To: 'alice@contoso.test' }))),
    ).toMatchObject({
      status: 403,
      code: 'ErrorAccessDenied',
      message: expect.stringContaining('AppOnly AccessPolicy'),
    });
    const noRole = await appToken(NO_GRAPH_APP, 'smtp-only-secret', 'https://graph.microsoft.com/.default');
    expect(decodeJwtClaims(noRole).roles).toBeUndefined();
    expect(
      await graphError(sendMail(noRole, 'users/alice@contoso.test', mime({ To: 'bob@contoso.test' }))),
    ).toMatchObject({
      status: 403,
      code: 'ErrorAccessDenied',
      message: 'Access is denied. Check credentials and try again.',
    });
  });

  it('400s: invalid recipient, no recipient, bad base64, bad JSON; 404 MailboxNotEnabledForRESTAPI while switched off', async () => {
    const token = await graphToken('alice@contoso.test');
    expect(await graphError(sendMail(token, 'me', mime({ To: 'not an address' })))).toMatchObject({
      status: 400,
      code: 'ErrorInvalidRecipients',
      message: expect.stringContaining("Recipient 'not an address' is not resolved"),
    });
    expect(await graphError(sendMail(token, 'me', mime({ Subject: 'nobody' })))).toMatchObject({
      status: 400,
      code: 'ErrorInvalidRecipients',
    });
    expect(await graphError(sendMail(token, 'me', 'this is not base64!'))).toMatchObject({
      status: 400,
      code: 'ErrorMimeContentInvalidBase64String',
    });
    expect(await graphError(sendMail(token, 'me', '{', 'application/json'))).toMatchObject({
      status: 400,
      code: 'BadRequest',
    });
    emulator.graph.setRestApiEnabled('alice@contoso.test', false);
    expect(await graphError(sendMail(token, 'me', mime({ To: 'bob@contoso.test' })))).toMatchObject({
      status: 404,
      code: 'MailboxNotEnabledForRESTAPI',
    });
    emulator.graph.setRestApiEnabled('alice@contoso.test', true);
    expect(response(await sendMail(token, 'me', mime({ To: 'bob@contoso.test' }))).status).toBe(202);
  });

  it('injected Graph errors and throttling come back in Graph’s shape', async () => {
    const token = await graphToken('alice@contoso.test');
    emulator.inject.microsoft({
      endpoint: 'sendMail',
      graphError: 'ErrorSendAsDenied',
      user: 'alice@contoso.test',
    });
    expect(await graphError(sendMail(token, 'me', mime({ To: 'bob@contoso.test' })))).toMatchObject({
      status: 403,
      code: 'ErrorSendAsDenied',
    });
    emulator.inject.microsoft({ endpoint: 'sendMail', status: 429, retryAfterSeconds: 3 });
    const throttled = response(await sendMail(token, 'me', mime({ To: 'bob@contoso.test' })));
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('3');
    expect(throttled.json()).toMatchObject({
      error: { code: 'ApplicationThrottled', innerError: { 'request-id': expect.any(String) } },
    });
  });
});

describe('SMTP AUTH switched off (Exchange "Authenticated SMTP")', () => {
  async function smtpSend(auth: { user: string; accessToken: string } | { user: string; pass: string }) {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: emulator.ports.smtp,
      requireTLS: true,
      tls: { ca: emulator.caCertPem, servername: 'localhost' },
      auth: 'accessToken' in auth ? { type: 'OAuth2', ...auth } : auth,
    });
    try {
      return await transport
        .sendMail({ from: auth.user, to: 'carol@contoso.test', subject: 'via smtp', text: 'x' })
        .then(
          () => 'sent',
          (e: { response?: string }) => e.response ?? String(e),
        );
    } finally {
      transport.close();
    }
  }

  it('per tenant and per mailbox: 535 5.7.139 for tokens and passwords, while Graph still sends', async () => {
    const { app, account } = await signIn('alice@contoso.test');
    const outlook = (await app.acquireTokenSilent({ account, scopes: [SMTP_SCOPE] })).accessToken;
    const graph = (await app.acquireTokenSilent({ account, scopes: [GRAPH_SEND] })).accessToken;
    const switches = emulator.mailServers?.smtpAuth;
    expect(await smtpSend({ user: 'alice@contoso.test', accessToken: outlook })).toBe('sent');

    switches?.setEnabled({ tenant: DEFAULT_TENANT_ID }, false);
    expect(await smtpSend({ user: 'alice@contoso.test', accessToken: outlook })).toBe(
      '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
    );
    expect(await smtpSend({ user: 'bob@contoso.test', pass: 'bob-password' })).toMatch(
      /^535 5\.7\.139 .* for the Tenant\./,
    );
    expect(
      response(await sendMail(graph, 'me', mime({ To: 'carol@contoso.test', Subject: 'fallback' }))).status,
    ).toBe(202);
    switches?.setEnabled({ tenant: DEFAULT_TENANT_ID }, true);

    switches?.setEnabled({ mailbox: 'alice@contoso.test' }, false);
    expect(await smtpSend({ user: 'alice@contoso.test', accessToken: outlook })).toMatch(
      /^535 5\.7\.139 .* for the Mailbox\./,
    );
    expect(await smtpSend({ user: 'bob@contoso.test', pass: 'bob-password' })).toBe('sent');
    switches?.setEnabled({ mailbox: 'alice@contoso.test' }, true);
    expect(await smtpSend({ user: 'alice@contoso.test', accessToken: outlook })).toBe('sent');
  });
});
