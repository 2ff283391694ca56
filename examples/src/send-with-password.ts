/**
 * A host sends from an organization account that signs in with a password (basic auth over SMTP
 * with STARTTLS). Everything runs against a local emulator; the script checks that the message
 * arrived and exits 0.
 *
 *   pnpm --filter @mailplug/examples build && node examples/dist/send-with-password.js
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import * as mailplug from '@mailplug/core';
import { startEmulator } from '@mailplug/emulator';

const emulator = await startEmulator();
try {
  // Ready-made settings: { username, password: { secretRef } }, and the secret's value.
  const { provider, settings, secrets } = emulator.settings.basic;
  const registry = mailplug.createRegistry();
  registry.discover({ from: fileURLToPath(new URL('..', import.meta.url)) }); // adapters in package.json
  const mailer = mailplug.createMailer({
    registry,
    secrets: mailplug.createMemorySecretStore(secrets),
    tokenStore: mailplug.createMemoryTokenStore(),
    permissions: { canSendOnBehalfOfOrganization: (user) => user === 'alice' },
  });
  const smtp = { host: '127.0.0.1', port: Number(emulator.ports.smtp), caFile: emulator.caCertPath };
  const account: mailplug.MailAccount = {
    id: 'office',
    key: mailplug.createAccountKey(), // created once, stored with the account; its tokens live under it
    protocol: 'smtp',
    server: { ...smtp, security: 'starttls' },
    auth: { provider, settings },
    identity: { fromAddress: 'alice@contoso.test', displayName: 'Contoso Office' },
    scope: { kind: 'organization' },
  };
  const message = { to: 'bob@contoso.test', subject: 'Invoice 42', text: 'Your invoice is attached.' };
  const result = await mailer.send({ account, actingUser: 'alice', message });

  const arrived = emulator.mail?.list('bob@contoso.test').find((m) => m.subject === 'Invoice 42');
  assert.ok(arrived, 'the message is in the recipient’s inbox');
  console.log(`✓ password account: sent ${result.messageId}; it arrived in bob@contoso.test’s inbox`);
  await mailer.dispose();
  await registry.dispose();
} finally {
  await emulator.stop();
}
