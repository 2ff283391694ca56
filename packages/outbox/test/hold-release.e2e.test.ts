/**
 * Hold and release on real parts: the gmail-oauth provider (the real google-auth-library) signs in
 * against @mailplug/emulator and sends with XOAUTH2 to the emulator's SMTP server. The grant is
 * revoked at "Google"; 50 messages are held with the re-authorization hint and nothing is
 * attempted until the account signs in again — then all 50 go out, in order.
 */
import { createGmailOAuth } from '@mailplug/auth-gmail-oauth';
import {
  createMailer,
  createMemorySecretStore,
  createMemoryTokenStore,
  createRegistry,
} from '@mailplug/core';
import { type Emulator, startEmulator } from '@mailplug/emulator';
import { createSmtpProtocol } from '@mailplug/protocol-smtp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOutbox, createSqliteOutboxStore, type OutboxEvent } from '../src/index.js';
import { authorize as authorizeAt, gmailAccount } from './emulator-gmail.js';
import { eventually } from './harness.js';

const HELD = 50;
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({
    identity: { autoApprove: 'first-user' },
    mail: { tokenExpirySkewMs: 0 },
  });
});
afterAll(() => emulator?.stop());

const authorize = (url: string) => authorizeAt(emulator, url);

it(`revoked grant: ${HELD} messages held with the sign-in hint, none attempted until sign-in, then all delivered in order`, async () => {
  const registry = createRegistry();
  registry.register(createGmailOAuth({ retry: { attempts: 1 } }));
  registry.register(createSmtpProtocol());
  const mailer = createMailer({
    registry,
    secrets: createMemorySecretStore(emulator.settings['gmail-oauth'].secrets),
    tokenStore: createMemoryTokenStore(),
    permissions: { canSendOnBehalfOfOrganization: () => false },
  });
  const account = gmailAccount(emulator);
  const store = createSqliteOutboxStore({ path: ':memory:' });
  const outbox = createOutbox({ mailer, store, accounts: new Map([[account.id, account]]) });
  const events: OutboxEvent[] = [];
  outbox.onDidChange((e) => events.push(e));
  const worker = outbox.startWorker({ pollMs: 20 });
  const delivered = () => emulator.mail.all().filter((m) => m.subject.startsWith('Reminder'));

  // Sign in, and one message goes out.
  const session = await mailer.sessionFor(account);
  if (!session.interactive) throw new Error('gmail-oauth sessions sign in interactively');
  await session.interactive.complete(await authorize((await session.interactive.begin()).url));
  const first = await outbox.enqueue({
    account,
    message: { to: 'bob@contoso.test', subject: 'Reminder 0', text: 'x' },
  });
  await eventually(async () => (await outbox.get(first.id))?.state === 'sent');

  // The user revokes the app's access at Google (revoking the access token ends the whole grant).
  const credential = await session.getCredential({ protocol: 'smtp' });
  if (credential.kind !== 'oauth2') throw new Error('expected an OAuth credential');
  const revoke = await fetch(`${emulator.urls.http}/google/revoke?token=${credential.accessToken}`, {
    method: 'POST',
  });
  expect(revoke.status).toBe(200);

  const ids: string[] = [];
  for (let i = 1; i <= HELD; i++) {
    const message = { to: 'bob@contoso.test', subject: `Reminder ${i}`, text: `Appointment ${i}.` };
    ids.push((await outbox.enqueue({ account, message })).id);
  }
  await eventually(async () => (await outbox.accountStatus(account.id)).counts.held === HELD);
  const status = await outbox.accountStatus(account.id);
  expect(status.hold?.error).toMatchObject({ code: 'REAUTH_REQUIRED', action: 'user' });
  expect(status.hold?.error.hint).toMatch(/sign in/i);
  expect(status.oldestHeld?.id).toBe(ids[0]);
  expect(events.filter((e) => e.type === 'held')).toHaveLength(1);

  // Nothing is attempted while held: no token request, no SMTP login, no new attempt in any history.
  const tokenRequests = () => emulator.requests.filter((r) => r.path.endsWith('/google/token')).length;
  const before = { token: tokenRequests(), delivered: delivered().length };
  await new Promise((r) => setTimeout(r, 500)); // 25 poll rounds of the worker
  expect(tokenRequests()).toBe(before.token);
  expect(delivered()).toHaveLength(before.delivered);
  const histories = await Promise.all(ids.map((id) => outbox.get(id)));
  expect(histories.reduce((n, m) => n + (m?.history.length ?? 0), 0)).toBe(1);

  // The user signs in again: the session's `added` releases the hold and all 50 go out, in order.
  await session.interactive.complete(await authorize((await session.interactive.begin()).url));
  await eventually(() => delivered().length === HELD + 1, 60_000);
  expect(delivered().map((m) => m.subject)).toEqual(
    Array.from({ length: HELD + 1 }, (_, i) => `Reminder ${i}`),
  );
  expect(events.find((e) => e.type === 'released')).toMatchObject({ count: HELD, reason: 'signIn' });
  await eventually(async () => (await outbox.accountStatus(account.id)).counts.sent === HELD + 1);

  await worker.stop();
  await outbox.dispose();
  await store.close();
  await mailer.dispose();
  await registry.dispose();
}, 120_000);
