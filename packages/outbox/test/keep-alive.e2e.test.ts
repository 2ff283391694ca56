/**
 * The keep-alive scheduler inside an outbox worker, on real parts: a Gmail account signed in
 * against @mailplug/emulator (the real google-auth-library). Starting the worker refreshes the
 * idle account at "Google" at once; the rotated refresh token is kept (the emulator revokes a
 * grant whose old refresh token is used again), so the account still sends afterwards.
 */
import { createGmailOAuth } from '@mailplug/auth-gmail-oauth';
import {
  createMailer,
  createMemorySecretStore,
  createMemoryTokenStore,
  createRegistry,
  type KeepAliveReport,
} from '@mailplug/core';
import { type Emulator, startEmulator } from '@mailplug/emulator';
import { createSmtpProtocol } from '@mailplug/protocol-smtp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOutbox, createSqliteOutboxStore } from '../src/index.js';
import { authorize, gmailAccount } from './emulator-gmail.js';
import { eventually } from './harness.js';

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ identity: { autoApprove: 'first-user' } });
});
afterAll(() => emulator?.stop());

it('a worker keeps an idle Gmail account alive at start (one refresh_token grant), and the account still sends', async () => {
  const registry = createRegistry();
  registry.register(createGmailOAuth({ retry: { attempts: 1 } }));
  registry.register(createSmtpProtocol());
  const tokenStore = createMemoryTokenStore();
  const mailer = createMailer({
    registry,
    secrets: createMemorySecretStore(emulator.settings['gmail-oauth'].secrets),
    tokenStore,
    permissions: { canSendOnBehalfOfOrganization: () => false },
  });
  const account = gmailAccount(emulator);
  const session = await mailer.sessionFor(account);
  if (!session.interactive) throw new Error('gmail-oauth sessions sign in interactively');
  await session.interactive.complete(await authorize(emulator, (await session.interactive.begin()).url));

  const store = createSqliteOutboxStore({ path: ':memory:' });
  const outbox = createOutbox({
    mailer,
    store,
    accounts: new Map([[account.id, account]]),
    keepAlive: { tokenStore, accounts: () => [account] },
  });
  const reports: KeepAliveReport[] = [];
  outbox.onDidKeepAlive((r) => reports.push(r));
  const refreshGrants = () =>
    emulator.events.list({ kind: 'grant', flavour: 'google' }).filter((e) => e.grant === 'refresh_token');
  expect(refreshGrants()).toHaveLength(0);

  const worker = outbox.startWorker({ pollMs: 20 });
  await eventually(() => reports.length === 1);
  expect(reports[0]?.accounts).toEqual([
    { accountId: account.id, providerId: 'gmail-oauth', outcome: 'keptAlive' },
  ]);
  expect(refreshGrants()).toHaveLength(1);

  // The rotated refresh token was saved: a forced refresh and a send both work.
  await session.getCredential({ protocol: 'smtp', forceRefresh: true });
  const queued = await outbox.enqueue({
    account,
    message: { to: 'bob@contoso.test', subject: 'After keep-alive', text: 'Still signed in.' },
  });
  await eventually(async () => (await outbox.get(queued.id))?.state === 'sent');
  expect(emulator.events.list({ kind: 'grant-refused', flavour: 'google' })).toEqual([]);

  await worker.stop();
  await outbox.dispose();
  await store.close();
  await mailer.dispose();
  await registry.dispose();
}, 60_000);
