/**
 * A host polls a mailbox over POP3 (deprecated, still needed by many hosts) and hands every new
 * message to its own import exactly once: core's `processNewMessages` keeps a cursor in the
 * token store, so the second poll finds nothing new.
 *
 *   pnpm --filter @mailplug/examples build && node examples/dist/receive-pop3-loop.js
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import * as mailplug from '@mailplug/core';
import { startEmulator } from '@mailplug/emulator';

const emulator = await startEmulator();
try {
  const { provider, settings, secrets } = emulator.settings.basic; // alice's mailbox and password
  const registry = mailplug.createRegistry();
  registry.discover({ from: fileURLToPath(new URL('..', import.meta.url)) });
  const store = mailplug.createMemoryTokenStore(); // holds the receive cursor: use a durable store
  const mailer = mailplug.createMailer({
    registry,
    secrets: mailplug.createMemorySecretStore(secrets),
    tokenStore: store,
    permissions: { canSendOnBehalfOfOrganization: () => false },
  });
  const pop3s = { host: '127.0.0.1', port: Number(emulator.ports.pop3s), caFile: emulator.caCertPath };
  const account: mailplug.MailAccount = {
    ...{ id: 'inbox', key: mailplug.createAccountKey(), protocol: 'pop3' },
    server: { ...pop3s, security: 'tls' },
    auth: { provider, settings },
    scope: { kind: 'user', owner: 'alice' },
  };
  emulator.mail?.deliver(
    'alice@contoso.test',
    'From: bob@contoso.test\r\nSubject: Appointment\r\n\r\nAt 3.\r\n',
  );

  const imported: string[] = [];
  for (const poll of [1, 2]) {
    // A host polls every few minutes; the mailer validates the account and binds its session.
    const session = await mailer.sessionFor(account, { actingUser: 'alice' });
    const pop3 = await registry.getProtocol(account.protocol);
    if (pop3.direction !== 'receive') throw new Error('pop3 is a receive protocol');
    const connection = await pop3.connect(mailplug.serverSettingsFor(account), session);
    const { processed } = await mailplug.processNewMessages({
      ...{ connection, store, accountId: account.id },
      handler: async (_id, raw) => void imported.push(Buffer.from(raw).toString('utf8')),
    });
    await connection.close();
    console.log(`  poll ${poll}: ${processed.length} new message(s)`);
  }
  assert.equal(imported.length, 1, 'the message is handed over once, not again on the second poll');
  assert.match(imported[0] ?? '', /Subject: Appointment/);
  console.log('✓ POP3 receive loop: the message arrived and was imported exactly once');
  await mailer.dispose();
  await registry.dispose();
} finally {
  await emulator.stop();
}
