import { afterEach, describe, expect, it } from 'vitest';
import type { MailAccount } from '../src/accounts/account.js';
import { mailplugError } from '../src/errors/codes.js';
import { createMailer, type FallbackUsed, type Mailer } from '../src/mailer/index.js';
import { createRegistry } from '../src/registry/index.js';
import { createMemorySecretStore } from '../src/secrets/index.js';
import type { AuthProvider } from '../src/spec/v1/auth-provider.js';
import { isMailplugError } from '../src/spec/v1/mailplug-error.js';
import type { SendProtocol } from '../src/spec/v1/protocol.js';
import { createMemoryTokenStore } from '../src/tokens/memory-store.js';
import {
  type ProviderLog,
  passwordProvider,
  recordingSendProtocol,
  type SentRecord,
  sendAccount,
} from './helpers.js';

// An account may name a fallback route (SMTP first, an HTTP API second): used only when the first
// route is switched off for the mailbox, never for a transient failure.

type Behaviour = 'closed' | 'transient' | 'ok';

function primaryProtocol(state: { behaviour: Behaviour; attempts: number }): SendProtocol {
  const base = recordingSendProtocol({ sent: [], connects: 0, closes: 0 });
  return {
    ...base,
    id: 'test-send',
    label: 'Test SMTP',
    async probe() {
      if (state.behaviour === 'ok')
        return { ok: true, steps: [{ id: 'auth', label: 'AUTH', status: 'ok', durationMs: 0 }] };
      const error = failure(state.behaviour);
      return {
        ok: false,
        steps: [{ id: 'auth', label: 'AUTH', status: 'failed', durationMs: 0, error: error.toJSON() }],
      };
    },
    async connect() {
      return {
        direction: 'send',
        async send() {
          state.attempts += 1;
          if (state.behaviour !== 'ok') throw failure(state.behaviour);
          return { messageId: '<primary@test>', accepted: ['client@example.com'], rejected: [] };
        },
        close: async () => {},
        dispose: async () => {},
      };
    },
  };
}

function failure(behaviour: Behaviour) {
  return behaviour === 'closed'
    ? mailplugError(
        'SMTP_AUTH_DISABLED',
        'admin',
        '535 5.7.139 SmtpClientAuthentication is disabled for the Mailbox.',
        'Turn on Authenticated SMTP for the mailbox (Microsoft 365 admin center → Users → Mail → Manage email apps).',
        { details: { routeClosed: true } },
      )
    : mailplugError('SMTP_UNAVAILABLE', 'retry', '421 4.3.2 Service not available.', 'Try again later.');
}

function apiProtocol(wire: { sent: SentRecord[]; connects: number; closes: number }): SendProtocol {
  return { ...recordingSendProtocol(wire), id: 'test-api', label: 'Test HTTP API' };
}

function providerForBoth(log: ProviderLog): AuthProvider {
  const provider = passwordProvider(log);
  return { ...provider, capabilities: { ...provider.capabilities, protocols: ['test-send', 'test-api'] } };
}

let mailer: Mailer | undefined;
afterEach(async () => {
  await mailer?.dispose();
  mailer = undefined;
});

function setUp(behaviour: Behaviour) {
  const state = { behaviour, attempts: 0 };
  const api = { sent: [] as SentRecord[], connects: 0, closes: 0 };
  const registry = createRegistry();
  registry.register(providerForBoth({ created: [], disposed: [] }));
  registry.register(primaryProtocol(state));
  registry.register(apiProtocol(api));
  mailer = createMailer({
    registry,
    secrets: createMemorySecretStore({ 'office-password': 'office-pass-123' }),
    tokenStore: createMemoryTokenStore(),
    permissions: { canSendOnBehalfOfOrganization: () => true },
  });
  const events: FallbackUsed[] = [];
  mailer.onDidUseFallback((e) => events.push(e));
  const account: MailAccount = {
    ...sendAccount(),
    fallback: { protocol: 'test-api', server: { host: 'api.example.com', port: 443, security: 'tls' } },
  };
  return { mailer, state, api, events, account };
}

const message = { to: 'client@example.com', subject: 'Reminder', text: 'Tomorrow at 9.' };

describe('fallback route', () => {
  it('delivers through the fallback when the first route is closed, says which route delivered, and tells the host', async () => {
    const { mailer, state, api, events, account } = setUp('closed');
    const result = await mailer.send({ account, actingUser: 'alice', message });
    expect(result.route).toBe('test-api');
    expect(api.sent).toHaveLength(1);
    expect(events).toEqual([
      expect.objectContaining({
        accountId: 'office',
        from: 'test-send',
        to: 'test-api',
        reason: expect.objectContaining({ code: 'SMTP_AUTH_DISABLED' }),
      }),
    ]);
    // The closed route is not tried again for every message.
    await mailer.send({ account, actingUser: 'alice', message });
    expect(state.attempts).toBe(1);
    expect(api.sent).toHaveLength(2);
  });

  it('never abandons a route that failed for a transient reason', async () => {
    const { mailer, api, events, account } = setUp('transient');
    const error = await mailer.send({ account, actingUser: 'alice', message }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMailplugError(error) && error.code).toBe('SMTP_UNAVAILABLE');
    expect(api.sent).toHaveLength(0);
    expect(events).toHaveLength(0);
  });

  it('uses the first route while it works', async () => {
    const { mailer, api, account } = setUp('ok');
    expect((await mailer.send({ account, actingUser: 'alice', message })).route).toBe('test-send');
    expect(api.sent).toHaveLength(0);
  });

  it('"Test connection" probes every route and says which one delivers', async () => {
    const { mailer, account } = setUp('closed');
    const report = await mailer.probe(account);
    expect(report.ok).toBe(true);
    expect(report.routes?.map((r) => [r.protocol, r.ok, r.closed])).toEqual([
      ['test-send', false, true],
      ['test-api', true, false],
    ]);
    expect(report.summary).toMatch(
      /Test SMTP is switched off for this mailbox; sending through Test HTTP API\. To use it again: Turn on Authenticated SMTP/,
    );
  });

  it('refuses a fallback that names an unknown or the same protocol, with the field', async () => {
    const { mailer, account } = setUp('ok');
    for (const protocol of ['nope', 'test-send']) {
      const error = await mailer
        .send({
          account: { ...account, fallback: { protocol, server: account.server } },
          actingUser: 'alice',
          message,
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isMailplugError(error) && JSON.stringify(error.details)).toContain('fallback.protocol');
    }
  });
});
