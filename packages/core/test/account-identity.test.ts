import { afterEach, describe, expect, it } from 'vitest';
import type { MailAccount } from '../src/accounts/account.js';
import { createAccountKey } from '../src/accounts/account-token-store.js';
import { mailplugError } from '../src/errors/codes.js';
import { createMailer, type Mailer } from '../src/mailer/index.js';
import { createRegistry } from '../src/registry/index.js';
import { createMemorySecretStore } from '../src/secrets/index.js';
import type { AuthProvider, AuthSession } from '../src/spec/v1/auth-provider.js';
import { toDisposable } from '../src/spec/v1/disposable.js';
import { isMailplugError } from '../src/spec/v1/mailplug-error.js';
import { createMemoryTokenStore } from '../src/tokens/memory-store.js';
import { recordingSendProtocol } from './helpers.js';

// Security review point 2: tokens belong to an account identity, not to an id that a later
// account can reuse; a personal account's credential needs its owner or a named admin operation.

/** Signs in by storing the mailbox under `<accountId>:tokens`; hands it out as the credential. */
function storedMailboxProvider(): AuthProvider {
  return {
    specificationVersion: 'v1',
    id: 'test-stored',
    label: 'Stored mailbox',
    capabilities: {
      interactive: true,
      deviceCode: false,
      appOnly: false,
      protocols: ['test-send'],
      credentialKind: 'oauth2',
    },
    settingsSchema: { fields: [] },
    createSession(init): AuthSession {
      const key = `${init.accountId}:tokens`;
      return {
        providerId: 'test-stored',
        accountId: init.accountId,
        interactive: {
          async begin() {
            return {
              url: 'https://idp.example/authorize',
              state: 's',
              redirectUri: 'https://host/cb',
              expiresAt: 0,
            };
          },
          async complete(params) {
            await init.tokenStore.set(key, String(params.mailbox));
            return { mailbox: String(params.mailbox) };
          },
        },
        async getCredential() {
          const mailbox = await init.tokenStore.get(key);
          if (typeof mailbox !== 'string')
            throw mailplugError('SIGN_IN_REQUIRED', 'user', 'Not signed in.', 'Sign in.');
          return {
            kind: 'oauth2',
            user: mailbox,
            accessToken: `token-of-${mailbox}`,
            expiresAt: 0,
            scopes: [],
          };
        },
        checkAuthorization: async () => ({ state: 'authorized', grantedScopes: [] }),
        signOut: async () => ({ revocation: 'nothingToRevoke' }),
        onDidChangeSession: () => toDisposable(() => {}),
        dispose() {},
      };
    },
  };
}

const tokenStore = createMemoryTokenStore();
let mailer: Mailer;
const wire = { sent: [] as { user: string }[], connects: 0, closes: 0 };

function makeMailer(): Mailer {
  const registry = createRegistry();
  registry.register(storedMailboxProvider());
  registry.register(recordingSendProtocol(wire as never));
  mailer = createMailer({
    registry,
    secrets: createMemorySecretStore({}),
    tokenStore,
    permissions: { canSendOnBehalfOfOrganization: () => true },
  });
  return mailer;
}

function personal(owner: string, key?: string): MailAccount {
  return {
    id: 'mail',
    ...(key ? { key } : {}),
    protocol: 'test-send',
    server: { host: 'smtp.example.com', port: 587, security: 'starttls' },
    auth: { provider: 'test-stored', settings: {} },
    identity: { fromAddress: `${owner}@example.com` },
    scope: { kind: 'user', owner },
  };
}

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMailplugError(error)) throw new Error(`expected a MailplugError, got ${String(error)}`);
  return error;
}

afterEach(async () => {
  await mailer?.dispose();
  wire.sent.length = 0;
});

describe('account identity', () => {
  it("Bob's account reusing the id of Alice's never sends as Alice", async () => {
    const m = makeMailer();
    const alice = personal('alice', createAccountKey());
    const session = await m.sessionFor(alice, { actingUser: 'alice' });
    await session.interactive?.complete({ mailbox: 'alice@example.com' });
    const bob = personal('bob', createAccountKey());
    const error = await failure(
      m.send({ account: bob, actingUser: 'bob', message: { to: 'x@example.com', subject: 's', text: 't' } }),
    );
    expect(error.message).not.toContain('alice');
    expect(wire.sent).toEqual([]);
  });

  it('an account re-added with a new key never finds the old tokens, even when they could not be deleted', async () => {
    const m = makeMailer();
    const before = personal('carol', createAccountKey());
    await (await m.sessionFor(before, { actingUser: 'carol' })).interactive?.complete({
      mailbox: 'carol@example.com',
    });
    // The removal "failed": nothing was forgotten. A new record for the same id and owner:
    const after = personal('carol', createAccountKey());
    await failure(
      m.send({
        account: after,
        actingUser: 'carol',
        message: { to: 'x@example.com', subject: 's', text: 't' },
      }),
    );
    expect(wire.sent).toEqual([]);
  });

  it('forgetAccount deletes every entry of the account and nothing of others', async () => {
    const m = makeMailer();
    const dave = personal('dave', createAccountKey());
    const erin = { ...personal('erin', createAccountKey()), id: 'erin-mail' };
    await (await m.sessionFor(dave, { actingUser: 'dave' })).interactive?.complete({
      mailbox: 'dave@example.com',
    });
    await (await m.sessionFor(erin, { actingUser: 'erin' })).interactive?.complete({
      mailbox: 'erin@example.com',
    });
    await m.forgetAccount(dave);
    await failure(
      (await m.sessionFor(dave, { actingUser: 'dave' })).getCredential({ protocol: 'test-send' }),
    );
    expect(
      (await (await m.sessionFor(erin, { actingUser: 'erin' })).getCredential({ protocol: 'test-send' }))
        .user,
    ).toBe('erin@example.com');
  });

  it("a personal account's session needs its owner or a named admin operation", async () => {
    const m = makeMailer();
    const frank = personal('frank', createAccountKey());
    expect((await failure(m.sessionFor(frank))).code).toBe('SEND_PERMISSION_DENIED');
    expect((await failure(m.sessionFor(frank, { actingUser: 'mallory' }))).code).toBe(
      'SEND_PERMISSION_DENIED',
    );
    expect((await failure(m.probe(frank))).code).toBe('SEND_PERMISSION_DENIED');
    await expect(m.sessionFor(frank, { actingUser: 'frank' })).resolves.toBeDefined();
    await expect(m.sessionFor(frank, { operation: 'admin' })).resolves.toBeDefined();
  });

  it('refuses a malformed account key with the field named', async () => {
    const m = makeMailer();
    const error = await failure(m.sessionFor({ ...personal('gina'), key: 'short' }, { actingUser: 'gina' }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(JSON.stringify(error.details)).toContain('key');
  });
});

describe('sign-in mailbox', () => {
  it('a browser sign-in for another mailbox than the account sends as is refused and nothing stays stored', async () => {
    const m = makeMailer();
    const account = personal('hank', createAccountKey());
    const session = await m.sessionFor(account, { actingUser: 'hank' });
    const error = await failure(
      session.interactive?.complete({ mailbox: 'someone-else@example.com' }) ?? Promise.resolve(),
    );
    expect([error.code, error.action]).toEqual(['MAILBOX_MISMATCH', 'user']);
    expect(error.hint).toContain('hank@example.com');
    await failure(session.getCredential({ protocol: 'test-send' }));
  });

  it('accepts another mailbox only when the account opts out (shared mailbox, alias)', async () => {
    const m = makeMailer();
    const base = personal('ivy', createAccountKey());
    const account = { ...base, identity: { fromAddress: 'ivy@example.com', acceptAnySignInMailbox: true } };
    const session = await m.sessionFor(account, { actingUser: 'ivy' });
    await expect(session.interactive?.complete({ mailbox: 'shared@example.com' })).resolves.toEqual({
      mailbox: 'shared@example.com',
    });
  });
});

describe('rebinding', () => {
  it('a changed From address rebinds the session, so the sign-in check uses the new address', async () => {
    const m = makeMailer();
    const account = personal('jo', createAccountKey());
    await m.sessionFor(account, { actingUser: 'jo' });
    const moved = { ...account, identity: { fromAddress: 'jo.new@example.com' } };
    const session = await m.sessionFor(moved, { actingUser: 'jo' });
    await expect(session.interactive?.complete({ mailbox: 'jo.new@example.com' })).resolves.toEqual({
      mailbox: 'jo.new@example.com',
    });
  });
});
