import {
  type AuthSessionInit,
  createMemorySecretStore,
  createMemoryTokenStore,
  isMailplugError,
  type MailplugError,
  type OAuth2Credential,
  type SessionChange,
} from '@mailplug/core';
import { createAppCertificate, type Emulator, startEmulator } from '@mailplug/emulator';
import { classifySmtpError, createSmtpProtocol } from '@mailplug/protocol-smtp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createM365AppOnly, type M365AppOnlyOptions, type M365AppOnlySession } from '../src/index.js';

function createM365AppOnlySession(
  init: AuthSessionInit,
  options: M365AppOnlyOptions = {},
): M365AppOnlySession {
  return createM365AppOnly(options).createSession(init) as M365AppOnlySession;
}

const CERT_APP = '5a1e7c00-0000-4000-8000-00000000c001';

describe('m365-app-only end to end (real msal-node against the emulator)', () => {
  let emulator: Emulator;
  const cert = createAppCertificate('mailplug-daemon-test');
  const urls: string[] = [];
  const onRequest = (info: { url: string }) => {
    urls.push(info.url);
  };

  beforeAll(async () => {
    emulator = await startEmulator();
    emulator.identity.addMicrosoftApp({
      clientId: CERT_APP,
      displayName: 'Mailplug daemon (certificate)',
      certificates: [{ certPem: cert.certPem }],
      applicationPermissions: ['SMTP.SendAsApp'],
    });
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  function initFor(
    overrides: Record<string, unknown> = {},
    secrets: Record<string, string> = {},
    id = 'svc-1',
  ): AuthSessionInit {
    const preset = emulator.settings['m365-app-only'];
    return {
      accountId: id,
      settings: { ...preset.settings, ...overrides },
      secrets: createMemorySecretStore({ ...preset.secrets, ...secrets }),
      tokenStore: createMemoryTokenStore(),
    };
  }

  async function send(
    session: Parameters<ReturnType<typeof createSmtpProtocol>['connect']>[1],
    subject: string,
  ) {
    const server = emulator.settings['m365-app-only'].servers?.smtp;
    if (!server) throw new Error('no smtp');
    const connection = await createSmtpProtocol().connect(server, session, { pool: false });
    try {
      return await connection.send({
        from: 'alice@contoso.test',
        to: 'bob@contoso.test',
        subject,
        text: 'hi',
      });
    } finally {
      await connection.close();
    }
  }

  it('acquires a token with a client secret, caches it, and sends as the mailbox', async () => {
    const session = createM365AppOnlySession(initFor({ secretExpiresOn: '2030-01-31' }), { onRequest });
    const first = (await session.getCredential({ protocol: 'smtp' })) as OAuth2Credential;
    expect(first.user).toBe('alice@contoso.test');
    const again = (await session.getCredential({ protocol: 'smtp' })) as OAuth2Credential;
    expect(again.accessToken).toBe(first.accessToken);
    const result = await send(session, 'app-only secret');
    expect(result.accepted).toEqual(['bob@contoso.test']);
    const status = await session.checkAuthorization();
    expect(status.state).toBe('authorized');
    expect(status.identity?.mailbox).toBe('alice@contoso.test');
    // What ends the authorization, for Check Authorization and the keep-alive's expiringSoon.
    expect(status).toMatchObject({
      authorizationExpiresAt: Date.parse('2030-01-31T00:00:00Z'),
      authorizationExpiresWith: 'clientSecret',
    });
    session.dispose();
    expect(new Set(urls.map((u) => new URL(u).hostname))).toEqual(new Set(['127.0.0.1']));
  });

  it('authenticates with a certificate (client assertion) and sends', async () => {
    const session = createM365AppOnlySession(
      initFor(
        {
          clientId: CERT_APP,
          clientSecret: undefined,
          certificateThumbprint: cert.thumbprintSha256,
          certificatePrivateKey: { secretRef: 'daemon-key' },
        },
        { 'daemon-key': cert.privateKeyPem },
        'svc-cert',
      ),
      { onRequest },
    );
    expect((await send(session, 'app-only certificate')).accepted).toHaveLength(1);
    session.dispose();
  });

  it('takes the app registration once from the factory; an account certificate replaces the host secret', async () => {
    const preset = emulator.settings['m365-app-only'];
    const { tenant, clientId, clientSecret, mailbox, ...rest } = preset.settings as Record<string, unknown>;
    const provider = createM365AppOnly({
      tenant: String(tenant),
      clientId: String(clientId),
      clientSecret: clientSecret as { secretRef: string },
      onRequest,
    });
    const secrets = createMemorySecretStore({ ...preset.secrets, 'daemon-key': cert.privateKeyPem });
    const shared = provider.createSession({
      accountId: 'svc-host',
      settings: { ...rest, mailbox },
      secrets,
      tokenStore: createMemoryTokenStore(),
    }) as M365AppOnlySession;
    expect((await send(shared, 'app-only host-wide app')).accepted).toHaveLength(1);
    const own = provider.createSession({
      accountId: 'svc-own',
      settings: {
        ...rest,
        mailbox,
        clientId: CERT_APP,
        certificateThumbprint: cert.thumbprintSha256,
        certificatePrivateKey: { secretRef: 'daemon-key' },
      },
      secrets,
      tokenStore: createMemoryTokenStore(),
    }) as M365AppOnlySession;
    expect((await send(own, 'app-only own certificate')).accepted).toHaveLength(1);
    // A multi-tenant alias is refused on the merged settings, at createSession.
    expect(() =>
      provider.createSession({
        accountId: 'svc-bad',
        settings: { ...rest, mailbox, tenant: 'common' },
        secrets,
        tokenStore: createMemoryTokenStore(),
      }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', action: 'admin' }));
    shared.dispose();
    own.dispose();
  });

  it('reports an outage as temporarilyUnavailable and sign-out as nothing to revoke, forgetting the account', async () => {
    const store = createMemoryTokenStore();
    const session = createM365AppOnly({ retry: { attempts: 1 } }).createSession({
      ...initFor({}, {}, 'svc-outage'),
      tokenStore: store,
    });
    const outage = emulator.inject.microsoft({ status: 503, endpoint: 'token', times: 1 } as never);
    const status = await session.checkAuthorization();
    expect(outage.hits).toBe(1);
    expect(status).toMatchObject({ state: 'temporarilyUnavailable', error: { code: 'TRANSIENT' } });
    expect(status.identity?.mailbox).toBe('alice@contoso.test');
    await expect(session.signOut()).resolves.toEqual({ revocation: 'nothingToRevoke' });
    await session.getCredential({ protocol: 'smtp' });
    await store.set('svc-outage:receive-cursor', 3);
    await expect(session.signOut()).resolves.toEqual({ revocation: 'unsupported' });
    expect(await store.get('svc-outage:tokens')).toBeUndefined();
    expect(await store.get('svc-outage:receive-cursor')).toBeUndefined();
    session.dispose();
  });

  it('announces a client secret that expires within weeks', async () => {
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const session = createM365AppOnlySession(initFor({ secretExpiresOn: soon }, {}, 'svc-exp'));
    const events: SessionChange[] = [];
    session.onDidChangeSession((e) => events.push(e));
    await session.getCredential({ protocol: 'smtp' });
    expect(events.find((e) => e.type === 'expiringSoon')).toMatchObject({ what: 'clientSecret' });
    session.dispose();
  });

  const injected: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['700016', { aadsts: 700016 }, 'M365_APP_NOT_FOUND', /Application \(client\) ID/],
    ['7000215', { aadsts: 7000215 }, 'M365_CLIENT_SECRET_INVALID', /Value/],
    ['7000222', { aadsts: 7000222 }, 'M365_CLIENT_SECRET_EXPIRED', /new client secret/],
    ['90002', { aadsts: 90002 }, 'M365_TENANT_NOT_FOUND', /tenant\) ID/],
    ['65001', { aadsts: 65001 }, 'M365_CONSENT_REQUIRED', /admin consent/],
    ['53003', { aadsts: 53003 }, 'M365_CONDITIONAL_ACCESS', /Conditional Access/],
    ['70011', { aadsts: 70011 }, 'M365_INVALID_SCOPE', /Graph/],
    ['429', { status: 429, retryAfterSeconds: 3 }, 'TRANSIENT', /Retry-After/],
    ['503', { status: 503 }, 'TRANSIENT', /Nothing is wrong with the credentials/],
  ];
  for (const [name, spec, code, hint] of injected) {
    it(`surfaces injected ${name} as ${code} with its hint`, async () => {
      const handle = emulator.inject.microsoft({ ...spec, endpoint: 'token', times: 1 } as never);
      const session = createM365AppOnlySession(initFor({}, {}, `svc-${name}`), {
        retry: { attempts: 1 },
      });
      const error = (await session
        .getCredential({ protocol: 'smtp' })
        .catch((e: unknown) => e)) as MailplugError;
      expect(isMailplugError(error)).toBe(true);
      expect(error.code).toBe(code);
      expect(error.hint).toMatch(hint);
      if (name === '429') expect(error.retryAfterMs).toBe(3000);
      if (code !== 'TRANSIENT') expect(error.details?.aadsts).toBe(`AADSTS${name}`);
      expect(JSON.stringify(error.toJSON())).not.toContain(
        emulator.settings['m365-app-only'].secrets['emulator-m365-daemon-secret'],
      );
      void handle;
      session.dispose();
    });
  }

  it('explains 535 5.7.3 after a valid token with the PowerShell for this app and mailbox', async () => {
    const session = createM365AppOnlySession(
      initFor({ servicePrincipalObjectId: '11111111-2222-4333-8444-555555555555' }, {}, 'svc-573'),
    );
    emulator.mailServers?.script.next({
      protocol: 'smtp',
      stage: 'auth',
      reply: '535 5.7.3 Authentication unsuccessful',
      times: 2,
    });
    const failure = await send(session, 'x').catch((e: unknown) => e);
    const smtpError = classifySmtpError(failure, { credentialKind: 'oauth2' });
    const explained = session.diagnose(smtpError) as MailplugError;
    expect(explained.code).toBe('M365_EXCHANGE_PERMISSION_MISSING');
    expect(explained.hint).toContain(
      `New-ServicePrincipal -AppId ${emulator.settings['m365-app-only'].settings.clientId}`,
    );
    expect(explained.hint).toContain('Add-MailboxPermission -Identity "alice@contoso.test"');
    emulator.mailServers?.script.clear();
    session.dispose();
  });

  it('explains 535 5.7.139 as Authenticated SMTP disabled', async () => {
    const session = createM365AppOnlySession(initFor({}, {}, 'svc-5739'));
    emulator.mailServers?.script.smtpAuthDisabled();
    emulator.mailServers?.script.smtpAuthDisabled();
    const failure = await send(session, 'x').catch((e: unknown) => e);
    const explained = session.diagnose(
      classifySmtpError(failure, { credentialKind: 'oauth2' }),
    ) as MailplugError;
    expect(explained.code).toBe('M365_SMTP_AUTH_DISABLED');
    expect(explained.hint).toMatch(/Authenticated SMTP/);
    emulator.mailServers?.script.clear();
    session.dispose();
  });
});
