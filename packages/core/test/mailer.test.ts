import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMailer, FOOTER_LIMITS, type Mailer, type MailerOptions } from '../src/mailer/index.js';
import { createRegistry, type Registry } from '../src/registry/index.js';
import { createMemorySecretStore } from '../src/secrets/index.js';
import { isMailplugError, type MailplugError } from '../src/spec/v1/mailplug-error.js';
import { createMemoryTokenStore } from '../src/tokens/memory-store.js';
import {
  type ProviderLog,
  passwordProvider,
  receiveProtocol,
  recordingSendProtocol,
  type SentRecord,
  sendAccount,
} from './helpers.js';

let registry: Registry;
let mailer: Mailer | undefined;
let wire: { sent: SentRecord[]; connects: number; closes: number };
let providerLog: ProviderLog;
const allowed = new Set(['alice']);

function makeMailer(overrides: Partial<MailerOptions> = {}): Mailer {
  mailer = createMailer({
    registry,
    secrets: createMemorySecretStore({
      'office-password': 'office-pass-123',
      'bob-password': 'bob-pass-456',
    }),
    tokenStore: createMemoryTokenStore(),
    permissions: { canSendOnBehalfOfOrganization: async (user) => allowed.has(user) },
    ...overrides,
  });
  return mailer;
}

async function caught(promise: Promise<unknown>): Promise<MailplugError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMailplugError(err)) throw new Error(`expected a MailplugError, got ${String(err)}`);
  return err;
}

function current(): Mailer {
  if (!mailer) throw new Error('makeMailer() first');
  return mailer;
}

const message = { to: 'client@example.com', subject: 'Invoice', text: 'Please find it attached.' };

beforeEach(() => {
  wire = { sent: [], connects: 0, closes: 0 };
  providerLog = { created: [], disposed: [] };
  registry = createRegistry();
  registry.register(passwordProvider(providerLog));
  registry.register(recordingSendProtocol(wire));
  registry.register(receiveProtocol());
});
afterEach(async () => {
  await mailer?.dispose();
  mailer = undefined;
  await registry.dispose();
});

describe('createMailer: footer limits', () => {
  it('refuses a plain-text footer over 500 and an HTML footer over 2,000 characters', () => {
    const text = () => makeMailer({ footer: { text: 'x'.repeat(FOOTER_LIMITS.text + 1) } });
    expect(text).toThrow(expect.objectContaining({ code: 'FOOTER_TOO_LONG', action: 'admin' }));
    expect(() => makeMailer({ footer: { html: 'y'.repeat(2001) } })).toThrow(
      expect.objectContaining({ hint: 'Shorten the HTML footer to at most 2000 characters (it has 2001).' }),
    );
    expect(() => makeMailer({ footer: { text: 'x'.repeat(500), html: 'y'.repeat(2000) } })).not.toThrow();
  });
});

describe('mailer.send', () => {
  it('sends from the identity with the footer on text and html, reusing one connection', async () => {
    makeMailer({ footer: { text: 'Example Ltd, registered in Nowhere.' } });
    const account = sendAccount();
    const first = await current().send({ account, actingUser: 'alice', message });
    await current().send({
      account,
      actingUser: 'alice',
      message: { ...message, html: '<html><body><p>Hi</p></body></html>', from: 'other@example.com' },
    });

    expect(first).toEqual({ messageId: '<1@test>', accepted: ['client@example.com'], rejected: [] });
    expect(wire.connects).toBe(1);
    expect(providerLog.created).toHaveLength(1);
    const [one, two] = wire.sent;
    expect(one?.message.from).toEqual({ address: 'office@example.com', name: 'Example Office' });
    expect(one?.message.text).toBe('Please find it attached.\n\nExample Ltd, registered in Nowhere.');
    expect(one?.user).toBe('office');
    expect(one?.server).toMatchObject({
      host: 'smtp.example.com',
      port: 587,
      security: 'starttls',
      timeoutMs: 120_000,
    });
    expect(two?.message.from).toBe('other@example.com');
    expect(two?.message.html).toBe(
      '<html><body><p>Hi</p><div class="mailplug-footer"><p>Example Ltd, registered in Nowhere.</p></div></body></html>',
    );
  });

  it('refuses an organization account to a user without the permission, sending nothing', async () => {
    makeMailer();
    const err = await caught(current().send({ account: sendAccount(), actingUser: 'mallory', message }));
    expect(err.code).toBe('SEND_PERMISSION_DENIED');
    expect(err.action).toBe('admin');
    expect(err.hint).toContain('send on behalf of organization');
    expect(wire.sent).toEqual([]);
    expect(wire.connects).toBe(0);
  });

  it("never lets user B send with user A's account", async () => {
    makeMailer();
    const bobs = sendAccount({
      id: 'bob-mailbox',
      scope: { kind: 'user', owner: 'bob' },
      auth: {
        provider: 'test-password',
        settings: { username: 'bob', password: { secretRef: 'bob-password' } },
      },
    });
    const err = await caught(current().send({ account: bobs, actingUser: 'alice', message }));
    expect(err.code).toBe('SEND_PERMISSION_DENIED');
    expect(err.message).toContain('"alice"');
    expect(wire.sent).toEqual([]);
    expect(providerLog.created).toEqual([]);

    await current().send({ account: bobs, actingUser: 'bob', message });
    expect(wire.sent.map((s) => s.user)).toEqual(['bob']);
  });

  it('sends from a system account without an acting user, but requires one otherwise', async () => {
    makeMailer();
    await current().send({
      account: sendAccount({ id: 'notifications', scope: { kind: 'system' } }),
      message,
    });
    expect(wire.sent).toHaveLength(1);
    const err = await caught(current().send({ account: sendAccount(), message }));
    expect(err).toMatchObject({ code: 'SEND_PERMISSION_DENIED', action: 'developer' });
  });

  it('refuses an invalid account with every issue, and a receive-only protocol', async () => {
    makeMailer();
    const broken = sendAccount({ server: { host: '', port: 0, security: 'starttls' } });
    const invalid = await caught(current().send({ account: broken, actingUser: 'alice', message }));
    expect(invalid.code).toBe('CONFIG_INVALID');
    expect(((invalid.details?.issues ?? []) as { path: string }[]).map((i) => i.path)).toEqual([
      'server.host',
      'server.port',
    ]);

    const receive = await caught(
      current().send({ account: sendAccount({ protocol: 'test-receive' }), actingUser: 'alice', message }),
    );
    expect(receive.code).toBe('PROTOCOL_MISMATCH');
    expect(wire.sent).toEqual([]);
  });

  it('rebinds the provider and reconnects when the account settings change', async () => {
    makeMailer();
    await current().send({ account: sendAccount(), actingUser: 'alice', message });
    const moved = sendAccount({ server: { host: 'smtp2.example.com', port: 2525, security: 'tls' } });
    await current().send({ account: moved, actingUser: 'alice', message });
    expect(wire.connects).toBe(2);
    expect(wire.closes).toBe(1);
    expect(providerLog.created).toHaveLength(1);

    const renamed = sendAccount({
      auth: {
        provider: 'test-password',
        settings: { username: 'office2', password: { secretRef: 'office-password' } },
      },
    });
    await current().send({ account: renamed, actingUser: 'alice', message });
    expect(providerLog.created).toHaveLength(2);
    expect(providerLog.disposed).toEqual(['office']);
    expect(wire.sent.at(-1)?.user).toBe('office2');
  });
});

describe('mailer sessions, probe and dispose', () => {
  it('sessionFor returns the cached bound session', async () => {
    makeMailer();
    const session = await current().sessionFor(sendAccount());
    expect(session.accountId).toBe('office');
    expect(await session.getCredential({ protocol: 'test-send' })).toEqual({
      kind: 'password',
      user: 'office',
      password: 'office-pass-123',
    });
    expect(await current().sessionFor(sendAccount())).toBe(session);
    expect(providerLog.created[0]?.settings).toEqual(sendAccount().auth.settings);
  });

  it('probe runs the protocol diagnostics with the bound provider', async () => {
    makeMailer();
    const report = await current().probe(sendAccount());
    expect(report.ok).toBe(true);
    expect(report.steps[0]).toMatchObject({
      id: 'auth',
      label: 'Signed in as office',
      detail: 'smtp.example.com',
    });
  });

  it('dispose closes connections and disposes sessions, then refuses further use', async () => {
    const local = makeMailer();
    await local.send({ account: sendAccount(), actingUser: 'alice', message });
    mailer = undefined;
    await local.dispose();
    await local.dispose();
    expect(wire.closes).toBe(1);
    expect(providerLog.disposed).toEqual(['office']);
    await expect(local.send({ account: sendAccount(), actingUser: 'alice', message })).rejects.toMatchObject({
      code: 'MAILER_DISPOSED',
    });
  });
});

describe('mailer.send deadlines', () => {
  function hangingProtocol(state: { connects: number; signals: AbortSignal[] }) {
    return {
      specificationVersion: 'v1' as const,
      id: 'test-send',
      label: 'Hanging send',
      direction: 'send' as const,
      defaultPorts: { starttls: 587, tls: 465, none: 25 },
      probe: async () => ({ ok: true, steps: [] }),
      async connect() {
        state.connects += 1;
        return {
          direction: 'send' as const,
          // Ignores the signal on purpose: the mailer's deadline must still end the call.
          send: (_m: unknown, o?: { signal?: AbortSignal }) => {
            if (o?.signal) state.signals.push(o.signal);
            return new Promise<never>(() => {});
          },
          close: async () => {},
          dispose: async () => {},
        };
      },
    };
  }

  it('a send the protocol never finishes ends at the deadline as a classified retry, and the connection is dropped', async () => {
    const state = { connects: 0, signals: [] as AbortSignal[] };
    await registry.dispose();
    registry = createRegistry();
    registry.register(passwordProvider(providerLog));
    registry.register(hangingProtocol(state));
    const m = makeMailer({ sendTimeoutMs: 100 });
    const account = sendAccount();
    const error = await caught(m.send({ account, actingUser: 'alice', message }));
    expect([error.code, error.action]).toEqual(['TIMEOUT', 'retry']);
    expect(error.details?.mayHaveBeenDelivered).toBe(true);
    expect(state.signals[0]?.aborted).toBe(true);
    // The next send does not reuse the connection whose state is unknown.
    await caught(m.send({ account, actingUser: 'alice', message, timeoutMs: 50 }));
    expect(state.connects).toBe(2);
  });

  it("the host's AbortSignal cancels a send as SEND_CANCELLED", async () => {
    const state = { connects: 0, signals: [] as AbortSignal[] };
    await registry.dispose();
    registry = createRegistry();
    registry.register(passwordProvider(providerLog));
    registry.register(hangingProtocol(state));
    const m = makeMailer();
    const controller = new AbortController();
    const pending = caught(
      m.send({
        account: sendAccount(),
        actingUser: 'alice',
        message,
        signal: controller.signal,
      }),
    );
    controller.abort();
    const error = await pending;
    expect([error.code, error.action]).toEqual(['SEND_CANCELLED', 'retry']);
  });

  it('a signal aborted before the send starts refuses it without connecting', async () => {
    const state = { connects: 0, signals: [] as AbortSignal[] };
    await registry.dispose();
    registry = createRegistry();
    registry.register(passwordProvider(providerLog));
    registry.register(hangingProtocol(state));
    const m = makeMailer();
    const error = await caught(
      m.send({
        account: sendAccount(),
        actingUser: 'alice',
        message,
        signal: AbortSignal.abort(),
      }),
    );
    expect(error.code).toBe('SEND_CANCELLED');
    expect(error.details?.mayHaveBeenDelivered).toBe(false);
  });
});

describe('mailer.preflight', () => {
  it('runs the send checks without connecting', async () => {
    const m = makeMailer();
    await m.preflight({ account: sendAccount(), actingUser: 'alice' });
    const refused = await caught(m.preflight({ account: sendAccount(), actingUser: 'mallory' }));
    expect(refused.code).toBe('SEND_PERMISSION_DENIED');
    const invalid = await caught(
      m.preflight({
        account: { ...sendAccount(), server: { host: '', port: 0, security: 'tls' } },
        actingUser: 'alice',
      }),
    );
    expect(invalid.code).toBe('CONFIG_INVALID');
    expect(wire.connects).toBe(0);
  });
});

describe('provider settings', () => {
  it("the provider's session gets the settings with the schema's defaults applied", async () => {
    await registry.dispose();
    registry = createRegistry();
    const base = passwordProvider(providerLog);
    registry.register({
      ...base,
      settingsSchema: {
        fields: [
          ...base.settingsSchema.fields,
          { key: 'mechanism', label: 'Mechanism', type: 'string', default: 'PLAIN' },
        ],
      },
    });
    registry.register(recordingSendProtocol(wire));
    const m = makeMailer();
    await m.sessionFor(sendAccount());
    expect(providerLog.created.at(-1)?.settings).toMatchObject({ username: 'office', mechanism: 'PLAIN' });
  });
});
