import type { CredentialRequest, CredentialSource } from '@mailplug/core';
import { DEFAULT_IDS, type Emulator, GOOGLE_MAIL_SCOPE, startEmulator } from '@mailplug/emulator';
import { createPop3Protocol } from '@mailplug/protocol-pop3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DovecotInstance, startDovecot } from '../src/index.js';

// Full interop: a token issued by the emulator's Google authorization-code flow, presented to
// Dovecot over POP3 AUTH XOAUTH2, which validates it at the emulator's RFC 7662 endpoint.
let emulator: Emulator;
let dovecot: DovecotInstance;

beforeAll(async () => {
  emulator = await startEmulator({ identity: { autoApprove: 'first-user' }, mail: false });
  dovecot = await startDovecot({
    users: {},
    oauth2: {
      introspectionUrl: emulator.urls.introspection,
      clientId: DEFAULT_IDS.introspectionClientId,
      clientSecret: DEFAULT_IDS.introspectionSecret,
    },
  });
});
afterAll(async () => {
  await dovecot?.stop();
  await emulator?.stop();
});

/** The authorization-code flow over the emulator's loopback HTTP origin (auto-approved). */
async function googleAccessToken(): Promise<{ user: string; accessToken: string; expiresIn: number }> {
  const base = `${emulator.urls.http}/google`;
  const redirectUri = 'http://127.0.0.1/callback';
  const authorize = new URL(`${base}/o/oauth2/v2/auth`);
  authorize.search = new URLSearchParams({
    client_id: DEFAULT_IDS.googleClientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: `${GOOGLE_MAIL_SCOPE} openid email`,
  }).toString();
  const redirect = await fetch(authorize, { redirect: 'manual' });
  const code = new URL(redirect.headers.get('location') ?? 'http://invalid/').searchParams.get('code');
  expect(code, `authorize answered ${redirect.status}`).toBeTruthy();
  const token = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: code ?? '',
      redirect_uri: redirectUri,
      client_id: DEFAULT_IDS.googleClientId,
      client_secret: DEFAULT_IDS.googleClientSecret,
    }),
  });
  const body = (await token.json()) as { access_token: string; expires_in: number };
  return { user: emulator.users[0]?.email ?? '', accessToken: body.access_token, expiresIn: body.expires_in };
}

describe('POP3 XOAUTH2 with emulator tokens and Dovecot introspection', () => {
  it('signs in with an emulator-issued Google token', async () => {
    const { user, accessToken, expiresIn } = await googleAccessToken();
    await dovecot.deliver(user, 'Subject: via oauth\r\n\r\nhello\r\n');
    const requests: CredentialRequest[] = [];
    const credentials: CredentialSource = {
      getCredential: async (request) => {
        requests.push(request);
        return {
          kind: 'oauth2',
          user,
          accessToken,
          expiresAt: Date.now() + expiresIn * 1000,
          scopes: [GOOGLE_MAIL_SCOPE],
        };
      },
    };
    const pop3 = createPop3Protocol({ silenceDeprecation: true });
    const connection = await pop3.connect(
      {
        host: '127.0.0.1',
        port: dovecot.ports.pop3s,
        security: 'tls',
        tls: { ca: dovecot.ca },
        timeoutMs: 10_000,
      },
      credentials,
    );
    const [first] = await connection.list();
    expect(Buffer.from(await connection.fetch(first?.id ?? '')).toString()).toContain('Subject: via oauth');
    await connection.close();
    expect(requests).toEqual([{ protocol: 'pop3' }]);
    // Dovecot really asked the emulator, as the configured introspection client.
    expect(
      emulator.events.list({ kind: 'introspection', clientId: DEFAULT_IDS.introspectionClientId }).at(-1),
    ).toMatchObject({
      user,
      detail: 'active',
    });
  });
});
