/**
 * A host sends its own notifications from a Microsoft 365 service mailbox with an app-only token
 * (client credentials): no user signs in, and the account's scope is `system`.
 *
 *   pnpm --filter @mailplug/examples build && node examples/dist/m365-app-only.js
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import * as mailplug from '@mailplug/core';
import { startEmulator } from '@mailplug/emulator';

const emulator = await startEmulator();
try {
  // { tenant, clientId, clientSecret: { secretRef }, mailbox, scope, authorityHost, ca }
  const { provider, settings, secrets } = emulator.settings['m365-app-only'];
  const registry = mailplug.createRegistry();
  registry.discover({ from: fileURLToPath(new URL('..', import.meta.url)) });
  const mailer = mailplug.createMailer({
    registry,
    secrets: mailplug.createMemorySecretStore(secrets),
    tokenStore: mailplug.createMemoryTokenStore(),
    permissions: { canSendOnBehalfOfOrganization: () => false },
  });
  const smtp = { host: '127.0.0.1', port: Number(emulator.ports.smtp), caFile: emulator.caCertPath };
  const account: mailplug.MailAccount = {
    ...{ id: 'notifications', key: mailplug.createAccountKey(), protocol: 'smtp' },
    server: { ...smtp, security: 'starttls' },
    auth: { provider, settings },
    identity: { fromAddress: String(settings.mailbox), displayName: 'Contoso Notifications' },
    scope: { kind: 'system' },
  };
  // "Check Authorization" before the first send: which mailbox, which permissions.
  const status = await (await mailer.sessionFor(account)).checkAuthorization();
  assert.equal(status.state, 'authorized', status.error?.hint);

  const message = { to: 'bob@contoso.test', subject: 'Password reset', text: 'Use the link within an hour.' };
  await mailer.send({ account, message }); // a system account needs no acting user
  assert.ok(emulator.mail?.list('bob@contoso.test').some((m) => m.subject === message.subject));
  console.log(`✓ Microsoft 365 app-only: authorized for ${status.identity?.mailbox}; notification arrived`);
  await mailer.dispose();
  await registry.dispose();
} finally {
  await emulator.stop();
}
