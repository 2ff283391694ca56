/** The mailer offers protocol failures to the provider's optional `diagnose(error)` (spec v1). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MailAccount } from '../src/accounts/index.js';
import { mailplugError } from '../src/errors/codes.js';
import { createMailer, type Mailer } from '../src/mailer/index.js';
import { createRegistry, type Registry } from '../src/registry/index.js';
import { createMemorySecretStore } from '../src/secrets/index.js';
import { toDisposable } from '../src/spec/v1/disposable.js';
import type {
  AuthProvider,
  AuthSession,
  DiagnosticStep,
  SendConnection,
  SendProtocol,
} from '../src/spec/v1/index.js';
import { isMailplugError, type MailplugError } from '../src/spec/v1/mailplug-error.js';
import { createMemoryTokenStore } from '../src/tokens/memory-store.js';

/** What the in-test server answers at each stage: `ok`, or an SMTP-shaped failure. */
interface Script {
  connect: 'ok' | 'refused';
  send: 'ok' | '535 5.7.3' | '421 4.3.2';
}

/** The protocol's own classification of an SMTP reply, as protocol-smtp would produce it. */
function smtpFailure(reply: string): MailplugError {
  const permanent = reply.startsWith('5');
  return mailplugError(
    permanent ? 'SMTP_AUTH_NOT_PERMITTED' : 'SMTP_SERVICE_UNAVAILABLE',
    permanent ? 'admin' : 'retry',
    `The server answered ${reply}.`,
    permanent ? 'Check the mailbox permissions.' : 'Try again later.',
    { details: { reply } },
  );
}

function scriptedProtocol(script: Script): SendProtocol {
  return {
    specificationVersion: 'v1',
    id: 'scripted-send',
    label: 'Scripted send',
    direction: 'send',
    defaultPorts: { starttls: 587, tls: 465, none: 25 },
    async probe(_server, credentials, options) {
      const steps: DiagnosticStep[] = [];
      const emit = (step: DiagnosticStep) => {
        steps.push(step);
        options?.onStep?.(step);
      };
      emit({ id: 'tcp', label: 'Connect', status: 'ok', durationMs: 1 });
      await credentials.getCredential({ protocol: 'scripted-send' });
      if (script.send === 'ok') {
        emit({ id: 'auth', label: 'Sign in', status: 'ok', durationMs: 1 });
        return { ok: true, steps };
      }
      const error = smtpFailure(script.send);
      emit({
        id: 'auth',
        label: 'Sign in',
        status: 'failed',
        durationMs: 1,
        detail: error.message,
        error: error.toJSON(),
      });
      emit({ id: 'send', label: 'Send a test message', status: 'skipped', durationMs: 0 });
      return { ok: false, steps };
    },
    async connect(_server, credentials): Promise<SendConnection> {
      if (script.connect === 'refused') {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:587'), { code: 'ECONNREFUSED' });
      }
      const connection: SendConnection = {
        direction: 'send',
        async send() {
          await credentials.getCredential({ protocol: 'scripted-send' });
          if (script.send !== 'ok') throw smtpFailure(script.send);
          return { messageId: '<1@test>', accepted: ['client@example.com'], rejected: [] };
        },
        async close() {},
        dispose: () => connection.close(),
      };
      return connection;
    },
  };
}

type Diagnose = (error: unknown) => MailplugError | undefined;

/** An app-only-shaped provider whose diagnosis knows the Exchange step behind 535 5.7.3. */
function diagnosingProvider(seen: unknown[], diagnose?: Diagnose): AuthProvider {
  const explain: Diagnose =
    diagnose ??
    ((error) =>
      isMailplugError(error) && error.code === 'SMTP_AUTH_NOT_PERMITTED'
        ? mailplugError(
            'TEST_MAILBOX_PERMISSION_MISSING',
            'admin',
            'Exchange refused the app for billing@example.com (535 5.7.3).',
            'Run Add-MailboxPermission -Identity "billing@example.com" -User <app> -AccessRights FullAccess.',
            { cause: error, details: { mailbox: 'billing@example.com' } },
          )
        : undefined);
  return {
    specificationVersion: 'v1',
    id: 'diagnosing-app',
    label: 'Diagnosing app-only',
    capabilities: {
      interactive: false,
      deviceCode: false,
      appOnly: true,
      protocols: ['scripted-send'],
      credentialKind: 'oauth2',
    },
    settingsSchema: { fields: [{ key: 'mailbox', label: 'Mailbox', type: 'email', required: true }] },
    createSession(init): AuthSession {
      return {
        providerId: 'diagnosing-app',
        accountId: init.accountId,
        async getCredential() {
          return {
            kind: 'oauth2',
            user: String(init.settings.mailbox),
            accessToken: 'app-token',
            expiresAt: Date.now() + 3_600_000,
            scopes: ['mail.send'],
          };
        },
        async checkAuthorization() {
          return { state: 'authorized', grantedScopes: ['mail.send'] };
        },
        async signOut() {
          return { revocation: 'nothingToRevoke' as const };
        },
        onDidChangeSession: () => toDisposable(() => {}),
        diagnose(error) {
          seen.push(error);
          return explain(error);
        },
        dispose() {},
      };
    },
  };
}

const account: MailAccount = {
  id: 'billing',
  protocol: 'scripted-send',
  server: { host: 'smtp.example.com', port: 587, security: 'starttls' },
  auth: { provider: 'diagnosing-app', settings: { mailbox: 'billing@example.com' } },
  identity: { fromAddress: 'billing@example.com' },
  scope: { kind: 'system' },
};
const message = { to: 'client@example.com', subject: 'Invoice', text: 'Attached.' };

let registry: Registry;
let mailer: Mailer;
let script: Script;
let seen: unknown[];

function setUp(diagnose?: Diagnose): void {
  registry = createRegistry();
  registry.register(diagnosingProvider(seen, diagnose));
  registry.register(scriptedProtocol(script));
  mailer = createMailer({
    registry,
    secrets: createMemorySecretStore({}),
    tokenStore: createMemoryTokenStore(),
    permissions: { canSendOnBehalfOfOrganization: () => false },
  });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

beforeEach(() => {
  script = { connect: 'ok', send: 'ok' };
  seen = [];
});
afterEach(async () => {
  await mailer?.dispose();
  await registry?.dispose();
});

describe('mailer.send with a provider that diagnoses', () => {
  it("throws the provider's explanation of a 535 5.7.3, with the protocol's error as cause", async () => {
    setUp();
    script.send = '535 5.7.3';
    const error = (await failure(mailer.send({ account, message }))) as MailplugError;
    expect(seen).toHaveLength(1);
    expect([error.code, error.action]).toEqual(['TEST_MAILBOX_PERMISSION_MISSING', 'admin']);
    expect(error.hint).toContain('Add-MailboxPermission -Identity "billing@example.com"');
    expect(error.cause).toBe(seen[0]);
    expect((error.cause as MailplugError).code).toBe('SMTP_AUTH_NOT_PERMITTED');
    expect(error.toJSON().cause).toContain('535 5.7.3');
  });

  it('keeps an unexplained failure as it was (same object), and sends normally when nothing fails', async () => {
    setUp();
    script.send = '421 4.3.2';
    const error = await failure(mailer.send({ account, message }));
    expect(seen).toEqual([error]);
    expect((error as MailplugError).code).toBe('SMTP_SERVICE_UNAVAILABLE');
    script.send = 'ok';
    expect((await mailer.send({ account, message })).accepted).toEqual(['client@example.com']);
    expect(seen).toHaveLength(1);
  });

  it('diagnoses a failed connect too', async () => {
    setUp((e) =>
      (e as { code?: unknown }).code === 'ECONNREFUSED'
        ? mailplugError(
            'TEST_RELAY_BLOCKED',
            'admin',
            'The relay refused us.',
            'Allow this host on the relay.',
            {
              cause: e,
            },
          )
        : undefined,
    );
    script.connect = 'refused';
    const error = (await failure(mailer.send({ account, message }))) as MailplugError;
    expect(error.code).toBe('TEST_RELAY_BLOCKED');
    expect((error.cause as Error).message).toContain('ECONNREFUSED');
  });

  it('attaches the original as cause when the explanation has none, and ignores a diagnose that throws', async () => {
    setUp(() => mailplugError('TEST_EXPLAINED', 'admin', 'Explained.', 'Do the admin step.'));
    script.send = '535 5.7.3';
    const explained = (await failure(mailer.send({ account, message }))) as MailplugError;
    expect(explained.code).toBe('TEST_EXPLAINED');
    expect(explained.cause).toBe(seen[0]);
    await mailer.dispose();
    await registry.dispose();

    seen = [];
    setUp(() => {
      throw new Error('diagnosis bug');
    });
    const original = (await failure(mailer.send({ account, message }))) as MailplugError;
    expect(original.code).toBe('SMTP_AUTH_NOT_PERMITTED');
    expect(seen).toEqual([original]);
  });
});

describe('mailer.probe with a provider that diagnoses', () => {
  it("replaces the failed step's error in onStep and in the report, diagnosing each failure once", async () => {
    setUp();
    script.send = '535 5.7.3';
    const live: DiagnosticStep[] = [];
    const report = await mailer.probe(account, { onStep: (step) => live.push(step) });
    expect(report.ok).toBe(false);
    expect(seen).toHaveLength(1);
    const auth = report.steps.find((s) => s.id === 'auth');
    expect(auth?.status).toBe('failed');
    expect(auth?.error?.code).toBe('TEST_MAILBOX_PERMISSION_MISSING');
    expect(auth?.error?.hint).toContain('Add-MailboxPermission');
    expect(auth?.error?.cause).toContain('535 5.7.3');
    expect(auth?.detail).toContain('Exchange refused the app');
    expect(live).toEqual(report.steps);
    expect(report.steps.map((s) => s.status)).toEqual(['ok', 'failed', 'skipped']);
  });

  it('leaves a passing probe and unexplained failures untouched', async () => {
    setUp();
    expect((await mailer.probe(account)).ok).toBe(true);
    expect(seen).toHaveLength(0);
    script.send = '421 4.3.2';
    const report = await mailer.probe(account);
    expect(seen).toHaveLength(1);
    expect(report.steps.find((s) => s.id === 'auth')?.error?.code).toBe('SMTP_SERVICE_UNAVAILABLE');
  });
});
