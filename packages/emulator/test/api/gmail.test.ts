/**
 * Gmail API messages.send against tokens minted for the real google-auth-library: consent that
 * grants `gmail.send` alone, the JSON and upload forms, every refusal in Google's shape, delivery
 * read back over POP3 — and SMTP refusing the same `gmail.send` token, as Gmail does.
 */
import { JWT } from 'google-auth-library';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEmulatorAgent,
  type Emulator,
  GMAIL_SEND_SCOPE,
  GOOGLE_MAIL_SCOPE,
  redirectGoogleRequests,
  startEmulator,
} from '../../src/index.js';
import { emulatorGoogleClient, httpsRequest, pkceAuthUrl } from '../identity/helpers.js';
import { rawClient } from '../mail/helpers.js';
import { b64url, bearer, response, rfc822, wire } from '../wire.js';

const REDIRECT = 'http://127.0.0.1:8085/callback';
const DELEGATED_SA = 'gmail-sender@emulator-project.iam.gserviceaccount.com';
let emulator: Emulator;

/** Auto-approved sign-in of `email` for `scopes`; returns the access token. */
async function googleToken(scopes: string[], email = 'alice@contoso.test'): Promise<string> {
  const oauth = emulatorGoogleClient(emulator, REDIRECT);
  const { url, verifier } = await pkceAuthUrl(oauth, { scope: scopes, login_hint: email });
  const back = await httpsRequest(emulator.caCertPem, url);
  const code = new URL(String(back.headers.location)).searchParams.get('code') ?? '';
  const { tokens } = await oauth.getToken({ code, codeVerifier: verifier });
  return tokens.access_token ?? '';
}

function send(token: string, body: unknown, userId = 'me') {
  return wire(`${emulator.urls.gmailBase}/gmail/v1/users/${userId}/messages/send`, {
    method: 'POST',
    ca: emulator.caCertPem,
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function upload(token: string, uploadType: string, body: string, contentType = 'message/rfc822') {
  return wire(`${emulator.urls.gmailBase}/upload/gmail/v1/users/me/messages/send?uploadType=${uploadType}`, {
    method: 'POST',
    ca: emulator.caCertPem,
    headers: { ...bearer(token), 'content-type': contentType },
    body,
  });
}

async function googleError(pending: ReturnType<typeof send>) {
  const res = response(await pending);
  const error = res.json().error as {
    code: number;
    message: string;
    status: string;
    errors: { reason: string }[];
  };
  return { status: res.status, reason: error.errors[0]?.reason, message: error.message, grpc: error.status };
}

const message = (headers: Record<string, string>, text?: string) => ({ raw: b64url(rfc822(headers, text)) });

beforeAll(async () => {
  emulator = await startEmulator({ identity: { autoApprove: 'first-user' } });
  emulator.identity.addGoogleServiceAccount({
    clientEmail: DELEGATED_SA,
    domainWideDelegation: [GMAIL_SEND_SCOPE],
  });
});

afterAll(async () => {
  await emulator.stop();
});

describe('consent and scopes', () => {
  it('the consent page can grant gmail.send alone; that token sends over the Gmail API and SMTP refuses it', async () => {
    emulator.identity.config.autoApprove = false;
    let token: string;
    try {
      const oauth = emulatorGoogleClient(emulator, REDIRECT);
      const { url, verifier } = await pkceAuthUrl(oauth, { scope: [GOOGLE_MAIL_SCOPE, GMAIL_SEND_SCOPE] });
      const page = await httpsRequest(emulator.caCertPem, url);
      const txn = /name="txn" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
      const form = new URLSearchParams({
        txn,
        user: 'alice@contoso.test',
        decision: 'approve',
        scope: GMAIL_SEND_SCOPE,
      });
      const back = await httpsRequest(
        emulator.caCertPem,
        `${emulator.urls.https}/consent`,
        'POST',
        Object.fromEntries(form),
      );
      const params = new URL(String(back.headers.location)).searchParams;
      expect(params.get('scope')).toBe(GMAIL_SEND_SCOPE);
      const { tokens } = await oauth.getToken({ code: params.get('code') ?? '', codeVerifier: verifier });
      expect(tokens.scope).toBe(GMAIL_SEND_SCOPE);
      token = tokens.access_token ?? '';
    } finally {
      emulator.identity.config.autoApprove = 'first-user';
    }

    const sent = response(await send(token, message({ To: 'bob@contoso.test', Subject: 'gmail.send only' })));
    expect(sent.status).toBe(200);
    expect(sent.json()).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{16}$/), labelIds: ['SENT'] });

    const smtp = nodemailer.createTransport({
      host: '127.0.0.1',
      port: emulator.ports.smtp,
      requireTLS: true,
      tls: { ca: emulator.caCertPem, servername: 'localhost' },
      auth: { type: 'OAuth2', user: 'alice@contoso.test', accessToken: token },
    });
    const refused = await smtp
      .sendMail({ from: 'alice@contoso.test', to: 'bob@contoso.test', subject: 'smtp', text: 'x' })
      .then(
        () => undefined,
        (e: { code?: string; responseCode?: number }) => e,
      );
    smtp.close();
    expect(refused).toMatchObject({ code: 'EAUTH', responseCode: 535 });
  });

  it('https://mail.google.com/ may send too; a token without a send scope gets 403 insufficientPermissions', async () => {
    const full = await googleToken([GOOGLE_MAIL_SCOPE]);
    expect(response(await send(full, message({ To: 'bob@contoso.test' }))).status).toBe(200);
    const identityOnly = await googleToken(['openid', 'email']);
    const res = await send(identityOnly, message({ To: 'bob@contoso.test' }));
    expect(response(res).headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
    expect(await googleError(Promise.resolve(res))).toMatchObject({
      status: 403,
      reason: 'insufficientPermissions',
      grpc: 'PERMISSION_DENIED',
      message: 'Request had insufficient authentication scopes.',
    });
  });

  it('a service account sends for a user with domain-wide delegation of gmail.send; without a subject it has no mailbox', async () => {
    const key = emulator.identity.serviceAccountKey(DELEGATED_SA, emulator.urls.googleBase);
    const { client_email: email, private_key: pem, private_key_id: keyId } = key;
    if (!email || !pem || !keyId) throw new Error('incomplete service-account key');
    const agent = createEmulatorAgent(emulator.caCertPem);
    const jwt = (subject?: string) => {
      const client = new JWT({
        email,
        key: pem,
        keyId,
        scopes: [GMAIL_SEND_SCOPE],
        ...(subject !== undefined ? { subject } : {}),
        transporterOptions: { agent },
      });
      redirectGoogleRequests(client, emulator.urls.googleBase);
      return client;
    };
    const delegated = (await jwt('bob@contoso.test').getAccessToken()).token ?? '';
    expect(
      response(await send(delegated, message({ To: 'alice@contoso.test', Subject: 'from bob via SA' })))
        .status,
    ).toBe(200);
    expect(emulator.mail.list('alice@contoso.test').at(-1)?.subject).toBe('from bob via SA');
    const own = (await jwt().getAccessToken()).token ?? '';
    expect(await googleError(send(own, message({ To: 'alice@contoso.test' })))).toMatchObject({
      status: 400,
      reason: 'failedPrecondition',
    });
  });
});

describe('POST messages.send', () => {
  it('{ raw }: 200, From rewritten to the account, Bcc stripped, delivered and read back over POP3', async () => {
    const token = await googleToken([GMAIL_SEND_SCOPE]);
    const res = response(
      await send(
        token,
        message({
          From: 'someone-else@contoso.test',
          To: 'bob@contoso.test',
          Bcc: 'carol@example.test',
          Subject: 'Gmail raw',
        }),
      ),
    );
    expect(res.status).toBe(200);
    const copy = emulator.mail.list('carol@example.test').at(-1)?.raw.toString() ?? '';
    expect(copy).toMatch(/^From: alice@contoso.test$/m);
    expect(copy).not.toMatch(/^Bcc:/im);
    expect(emulator.mail.list('alice@contoso.test', 'Sent').at(-1)?.subject).toBe('Gmail raw');

    const pop = await rawClient(emulator.ports.pop3s ?? 0, { tlsCa: emulator.caCertPem });
    expect(await pop.line()).toMatch(/^\+OK/);
    pop.send('USER bob@contoso.test');
    await pop.line();
    pop.send('PASS bob-password');
    expect(await pop.line()).toMatch(/^\+OK/);
    pop.send('STAT');
    const count = Number((await pop.line()).split(' ')[1]);
    pop.send(`RETR ${count}`);
    const lines = await pop.until((l) => l === '.');
    pop.send('QUIT');
    await pop.line();
    pop.end();
    expect(lines).toContain('Subject: Gmail raw');
  });

  it('upload: media (message/rfc822) and multipart/related with a threadId', async () => {
    const token = await googleToken([GMAIL_SEND_SCOPE]);
    const media = response(
      await upload(token, 'media', rfc822({ To: 'bob@contoso.test', Subject: 'Gmail media' })),
    );
    expect(media.status).toBe(200);
    expect(emulator.mail.list('bob@contoso.test').at(-1)?.subject).toBe('Gmail media');
    const boundary = 'b0und4ry';
    const multipart = [
      `--${boundary}`,
      'Content-Type: application/json; charset=UTF-8',
      '',
      JSON.stringify({ threadId: '18c0ffee' }),
      `--${boundary}`,
      'Content-Type: message/rfc822',
      '',
      rfc822({ To: 'bob@contoso.test', Subject: 'Gmail multipart' }),
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const res = response(
      await upload(token, 'multipart', multipart, `multipart/related; boundary=${boundary}`),
    );
    expect(res.json()).toMatchObject({ threadId: '18c0ffee', labelIds: ['SENT'] });
    expect(emulator.mail.list('bob@contoso.test').at(-1)?.subject).toBe('Gmail multipart');
    expect(await googleError(upload(token, 'resumable', 'x'))).toMatchObject({
      status: 400,
      reason: 'invalidArgument',
    });
  });

  it('400 invalidArgument for bad headers and payloads, 403 for another user, 401 for a Microsoft or unknown token', async () => {
    const token = await googleToken([GMAIL_SEND_SCOPE]);
    expect(await googleError(send(token, message({ To: 'not an address' })))).toMatchObject({
      status: 400,
      reason: 'invalidArgument',
      message: 'Invalid To header',
    });
    expect(await googleError(send(token, message({ Subject: 'no one' })))).toMatchObject({
      message: 'Recipient address required',
    });
    expect(await googleError(send(token, {}))).toMatchObject({
      status: 400,
      message: expect.stringContaining("'raw'"),
    });
    expect(await googleError(send(token, { raw: '***' }))).toMatchObject({
      status: 400,
      reason: 'invalidArgument',
    });
    expect(
      await googleError(send(token, message({ To: 'bob@contoso.test' }), 'bob@contoso.test')),
    ).toMatchObject({
      status: 403,
      reason: 'forbidden',
      message: 'Delegation denied for alice@contoso.test',
    });
    expect(
      response(await send(token, message({ To: 'bob@contoso.test' }), 'alice@contoso.test')).status,
    ).toBe(200);
    expect(await googleError(send('ya29.unknown', message({ To: 'bob@contoso.test' })))).toMatchObject({
      status: 401,
      reason: 'authError',
      grpc: 'UNAUTHENTICATED',
    });
  });

  it('400 failedPrecondition while the mail service is off for the user', async () => {
    const token = await googleToken([GMAIL_SEND_SCOPE]);
    emulator.gmail.setMailServiceEnabled('alice@contoso.test', false);
    expect(await googleError(send(token, message({ To: 'bob@contoso.test' })))).toEqual({
      status: 400,
      reason: 'failedPrecondition',
      grpc: 'FAILED_PRECONDITION',
      message: 'Mail service not enabled',
    });
    emulator.gmail.setMailServiceEnabled('alice@contoso.test', true);
    expect(response(await send(token, message({ To: 'bob@contoso.test' }))).status).toBe(200);
  });

  it('injected 429 rateLimitExceeded / userRateLimitExceeded, narrowed to one user', async () => {
    const token = await googleToken([GMAIL_SEND_SCOPE]);
    const bobToken = await googleToken([GMAIL_SEND_SCOPE], 'bob@contoso.test');
    emulator.inject.google({
      endpoint: 'messages.send',
      gmailError: 'userRateLimitExceeded',
      retryAfterSeconds: 60,
      user: 'bob@contoso.test',
    });
    expect(response(await send(token, message({ To: 'bob@contoso.test' }))).status).toBe(200);
    const limited = response(await send(bobToken, message({ To: 'alice@contoso.test' })));
    expect(limited.headers['retry-after']).toBe('60');
    expect(await googleError(Promise.resolve(limited))).toMatchObject({
      status: 429,
      reason: 'userRateLimitExceeded',
    });
    emulator.inject.google({ endpoint: 'messages.send', status: 429 });
    expect(await googleError(send(token, message({ To: 'bob@contoso.test' })))).toMatchObject({
      status: 429,
      reason: 'rateLimitExceeded',
      grpc: 'RESOURCE_EXHAUSTED',
    });
  });
});
