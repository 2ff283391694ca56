import {
  createMailer,
  createMemorySecretStore,
  createMemoryTokenStore,
  createRegistry,
  type MailAccount,
  type Mailer,
  type OAuth2Credential,
  type Registry,
} from '@mailplug/core';
import { DEFAULT_TENANT_ID, type Emulator, startEmulator } from '@mailplug/emulator';
import { createGraphProtocol } from '@mailplug/protocol-graph';
import { createSmtpProtocol } from '@mailplug/protocol-smtp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createM365AppOnly } from '../src/index.js';

const ALICE = 'alice@contoso.test';
const BOB = 'bob@contoso.test';

/** JWT payload of an emulator token (the audience and app roles the token was issued with). */
function claims(token: string): { aud?: string; roles?: string[] } {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

describe('m365-app-only and Microsoft Graph (real msal-node against the emulator)', () => {
  let emulator: Emulator;
  let registry: Registry;
  let mailer: Mailer;

  beforeAll(async () => {
    emulator = await startEmulator();
    registry = createRegistry();
    registry.register(createGraphProtocol({ basePath: '/graph', proxy: false }));
    registry.register(createSmtpProtocol());
    registry.register(createM365AppOnly());
    mailer = createMailer({
      registry,
      secrets: createMemorySecretStore(emulator.settings['m365-app-only'].secrets),
      tokenStore: createMemoryTokenStore(),
      permissions: { canSendOnBehalfOfOrganization: () => true },
    });
  });
  afterEach(() => {
    emulator.mailServers?.smtpAuth.reset();
  });
  afterAll(async () => {
    await mailer?.dispose();
    await registry?.dispose();
    await emulator?.stop();
  });

  const auth = (): MailAccount['auth'] => ({
    provider: 'm365-app-only',
    settings: { ...emulator.settings['m365-app-only'].settings },
  });
  const graphServer = (): MailAccount['server'] => ({
    host: '127.0.0.1',
    port: emulator.ports.https,
    security: 'tls',
    caFile: emulator.caCertPath,
    timeoutSeconds: 10,
  });
  const smtpServer = (): MailAccount['server'] => {
    const smtp = emulator.settings['m365-app-only'].servers?.smtp;
    if (!smtp) throw new Error('the emulator has no SMTP server');
    return { ...smtp, caFile: emulator.caCertPath, timeoutSeconds: 10 };
  };

  it('hands out a Graph token and an Exchange token side by side, each for its own resource', async () => {
    const preset = emulator.settings['m365-app-only'];
    const tokenStore = createMemoryTokenStore();
    const session = createM365AppOnly().createSession({
      accountId: 'svc-graph',
      settings: preset.settings,
      secrets: createMemorySecretStore(preset.secrets),
      tokenStore,
    });
    const graph = (await session.getCredential({ protocol: 'graph' })) as OAuth2Credential;
    const smtp = (await session.getCredential({ protocol: 'smtp' })) as OAuth2Credential;
    expect(graph.user).toBe(ALICE);
    expect(claims(graph.accessToken).aud).toBe('https://graph.microsoft.com');
    expect(claims(graph.accessToken).roles).toContain('Mail.Send');
    expect(graph.scopes).toEqual(['https://graph.microsoft.com/.default']);
    expect(claims(smtp.accessToken).aud).toBe('https://outlook.office365.com');
    // Neither token overwrote the other: both come back from the store unchanged.
    expect(((await session.getCredential({ protocol: 'graph' })) as OAuth2Credential).accessToken).toBe(
      graph.accessToken,
    );
    expect(((await session.getCredential({ protocol: 'smtp' })) as OAuth2Credential).accessToken).toBe(
      smtp.accessToken,
    );
    expect(await tokenStore.get('svc-graph:tokens')).toBeDefined();
    expect(await tokenStore.get('svc-graph:graph:tokens')).toBeDefined();
    // Check Authorization lists the scopes of each resource.
    expect((await session.checkAuthorization()).grantedScopes).toEqual(
      expect.arrayContaining([
        'https://outlook.office365.com/.default',
        'https://graph.microsoft.com/.default',
      ]),
    );
    // Sign-out forgets both.
    await session.signOut();
    expect(await tokenStore.get('svc-graph:tokens')).toBeUndefined();
    expect(await tokenStore.get('svc-graph:graph:tokens')).toBeUndefined();
    session.dispose();
  });

  it('an account on Graph sends through the mailer', async () => {
    const result = await mailer.send({
      account: {
        id: 'svc-graph-only',
        protocol: 'graph',
        server: graphServer(),
        auth: auth(),
        identity: { fromAddress: ALICE, displayName: 'Alice Office' },
        scope: { kind: 'system' },
      },
      message: { to: BOB, subject: 'App-only via Graph', text: 'Hello' },
    });
    expect(result.accepted).toEqual([BOB]);
    expect(emulator.mail.list(BOB).some((m) => m.subject === 'App-only via Graph')).toBe(true);
  });

  it('SMTP AUTH off for the tenant → the SMTP account delivers through its Graph fallback', async () => {
    emulator.mailServers?.smtpAuth.setEnabled({ tenant: DEFAULT_TENANT_ID }, false);
    const result = await mailer.send({
      account: {
        id: 'svc-smtp-first',
        protocol: 'smtp',
        server: smtpServer(),
        fallback: { protocol: 'graph', server: graphServer() },
        auth: auth(),
        identity: { fromAddress: ALICE, displayName: 'Alice Office' },
        scope: { kind: 'system' },
      },
      message: { to: BOB, subject: 'SMTP off, Graph delivers', text: 'x' },
    });
    expect(result.route).toBe('graph');
    expect(emulator.mail.list(BOB).some((m) => m.subject === 'SMTP off, Graph delivers')).toBe(true);
  });
});
