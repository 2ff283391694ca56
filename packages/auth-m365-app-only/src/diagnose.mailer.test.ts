/**
 * The app-only session's `diagnose` is the spec's AuthSession.diagnose: core's mailer calls it, so
 * a host that only uses `mailer.send` / `mailer.probe` gets the Exchange PowerShell for 535 5.7.3.
 * Real parts: msal-node against the emulator, protocol-smtp (nodemailer) against its SMTP server.
 */
import {
  createMailer,
  createMemorySecretStore,
  createMemoryTokenStore,
  createRegistry,
  type MailAccount,
  type Mailer,
  type MailplugError,
  type Registry,
} from '@mailplug/core';
import { type Emulator, startEmulator } from '@mailplug/emulator';
import { createSmtpProtocol } from '@mailplug/protocol-smtp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createM365AppOnly } from './index.js';

const SERVICE_PRINCIPAL = '11111111-2222-4333-8444-555555555555';

let emulator: Emulator;
let registry: Registry;
let mailer: Mailer;

beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});
beforeEach(() => {
  const preset = emulator.settings['m365-app-only'];
  registry = createRegistry();
  registry.register(createM365AppOnly({ retry: { attempts: 1 } }));
  registry.register(createSmtpProtocol());
  mailer = createMailer({
    registry,
    secrets: createMemorySecretStore(preset.secrets),
    tokenStore: createMemoryTokenStore(),
    permissions: { canSendOnBehalfOfOrganization: () => false },
  });
});
afterEach(async () => {
  emulator.mailServers?.script.clear();
  await mailer.dispose();
  await registry.dispose();
});

function account(): MailAccount {
  const preset = emulator.settings['m365-app-only'];
  const smtp = preset.servers?.smtp;
  if (!smtp) throw new Error('emulator started without mail servers');
  return {
    id: 'notifications',
    protocol: 'smtp',
    server: { host: smtp.host, port: smtp.port, security: 'starttls', caFile: emulator.caCertPath },
    auth: {
      provider: 'm365-app-only',
      settings: { ...preset.settings, servicePrincipalObjectId: SERVICE_PRINCIPAL },
    },
    identity: { fromAddress: 'alice@contoso.test' },
    scope: { kind: 'system' },
  };
}

const message = { to: 'bob@contoso.test', subject: 'Invoice', text: 'Attached.' };
const refuseAuth = () =>
  emulator.mailServers?.script.next({
    protocol: 'smtp',
    stage: 'auth',
    reply: '535 5.7.3 Authentication unsuccessful',
    times: 2,
  });

describe('m365-app-only diagnose through core mailer', () => {
  it('mailer.send turns a scripted 535 5.7.3 into the Exchange PowerShell for this app and mailbox', async () => {
    refuseAuth();
    const error = (await mailer
      .send({ account: account(), message })
      .catch((e: unknown) => e)) as MailplugError;
    const clientId = String(emulator.settings['m365-app-only'].settings.clientId);
    expect([error.code, error.action]).toEqual(['M365_EXCHANGE_PERMISSION_MISSING', 'admin']);
    expect(error.hint).toContain(`New-ServicePrincipal -AppId ${clientId} -ObjectId ${SERVICE_PRINCIPAL}`);
    expect(error.hint).toContain(
      `Add-MailboxPermission -Identity "alice@contoso.test" -User ${SERVICE_PRINCIPAL}`,
    );
    expect(error.details?.powershell).toContain('Disconnect-ExchangeOnline');
    // The protocol's own classification stays reachable as the cause.
    expect((error.cause as MailplugError).code).toBe('SMTP_AUTH_NOT_PERMITTED');

    // Only the scripted reply was at fault: the same account sends once Exchange accepts the token.
    emulator.mailServers?.script.clear();
    expect((await mailer.send({ account: account(), message })).accepted).toEqual(['bob@contoso.test']);
  });

  it('mailer.probe shows the explanation on the failed AUTH step, live and in the report', async () => {
    refuseAuth();
    const live: string[] = [];
    const report = await mailer.probe(account(), {
      onStep: (step) => {
        if (step.error) live.push(step.error.code);
      },
    });
    expect(report.ok).toBe(false);
    const failed = report.steps.find((s) => s.status === 'failed');
    expect(failed?.error?.code).toBe('M365_EXCHANGE_PERMISSION_MISSING');
    expect(failed?.error?.hint).toContain('Add-MailboxPermission -Identity "alice@contoso.test"');
    expect(JSON.stringify(failed?.error?.details?.powershell)).toContain(
      'Add-RecipientPermission -Identity \\"alice@contoso.test\\"',
    );
    expect(failed?.error?.cause).toMatch(/5\.7\.3/);
    expect(live).toEqual(['M365_EXCHANGE_PERMISSION_MISSING']);
  });
});
