/**
 * A host signs a user in with Google (OAuth 2.0 authorization code + PKCE) and sends from their
 * Gmail over SMTP (XOAUTH2). The emulator approves the consent at once, so the browser's part is
 * one request that follows its redirect; a real host sends the user's browser to `start.url` and
 * passes the query of the redirect back to `complete`.
 *
 *   pnpm --filter @mailplug/examples build && node examples/dist/gmail-sign-in-and-send.js
 */
import assert from 'node:assert/strict';
import { get } from 'node:https';
import { fileURLToPath } from 'node:url';
import * as mailplug from '@mailplug/core';
import { startEmulator } from '@mailplug/emulator';

const emulator = await startEmulator({ identity: { autoApprove: 'first-user' } });
/** The browser's part, headless: the authorize URL answers with a redirect to our redirect URI. */
const redirectOf = (url: string) =>
  new Promise<URL>((resolve, reject) => {
    get(url, { ca: emulator.caCertPem }, (res) => {
      res.resume();
      resolve(new URL(res.headers.location ?? '', url));
    }).on('error', reject);
  });
try {
  const { provider, settings, secrets } = emulator.settings['gmail-oauth'];
  const registry = mailplug.createRegistry();
  registry.discover({ from: fileURLToPath(new URL('..', import.meta.url)) });
  const mailer = mailplug.createMailer({
    registry,
    secrets: mailplug.createMemorySecretStore(secrets),
    tokenStore: mailplug.createMemoryTokenStore(), // a host keeps tokens in an encrypted store
    permissions: { canSendOnBehalfOfOrganization: () => false },
  });
  const smtp = { host: '127.0.0.1', port: Number(emulator.ports.smtp), caFile: emulator.caCertPath };
  const account: mailplug.MailAccount = {
    ...{ id: 'alice-gmail', key: mailplug.createAccountKey(), protocol: 'smtp' },
    server: { ...smtp, security: 'starttls' },
    auth: { provider, settings },
    identity: { fromAddress: 'alice@contoso.test' },
    scope: { kind: 'user', owner: 'alice' },
  };
  const session = await mailer.sessionFor(account, { actingUser: 'alice' }); // her own account
  assert.ok(session.interactive, 'Google sign-in is interactive');
  const start = await session.interactive.begin();
  const back = await redirectOf(start.url);
  const identity = await session.interactive.complete(Object.fromEntries(back.searchParams));

  const message = { to: 'bob@contoso.test', subject: 'Signed in with Google', text: 'Sent with XOAUTH2.' };
  await mailer.send({ account, actingUser: 'alice', message });
  assert.ok(emulator.mail?.list('bob@contoso.test').some((m) => m.subject === message.subject));
  console.log(`✓ Gmail: signed in as ${identity.mailbox}; the message arrived in bob@contoso.test’s inbox`);
  await mailer.dispose();
  await registry.dispose();
} finally {
  await emulator.stop();
}
