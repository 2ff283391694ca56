import type { CredentialSource, OAuth2Credential } from '@mailplug/core';
import type { Emulator } from '@mailplug/emulator';
import { emulatorApiServer, mailplugRejection } from '@mailplug/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGraphProtocol } from '../src/index.js';
import {
  ALICE,
  appOnlySource,
  BOB,
  graphRequests,
  OUTLOOK_DEFAULT,
  staleFirstSource,
  startGraphEmulator,
} from './support.js';

const RESTRICTED_APP = '5a1e7c00-0000-4000-8000-0000000000b1';
const NO_MAIL_SEND_APP = '5a1e7c00-0000-4000-8000-0000000000b2';

describe('Graph errors, classified with the fix', () => {
  let emulator: Emulator;
  const graph = createGraphProtocol({ basePath: '/graph', proxy: false });

  beforeAll(async () => {
    emulator = await startGraphEmulator({
      // An application access policy: the restricted app may only use Alice's mailbox.
      appMailboxPermissions: (appId) => (appId === RESTRICTED_APP ? [ALICE] : ['*']),
    });
    emulator.identity.addMicrosoftApp({
      clientId: RESTRICTED_APP,
      secrets: ['restricted-secret'],
      applicationPermissions: ['Mail.Send'],
    });
    emulator.identity.addMicrosoftApp({
      clientId: NO_MAIL_SEND_APP,
      secrets: ['no-mail-send-secret'],
      applicationPermissions: ['SMTP.SendAsApp'],
    });
  });
  afterEach(() => emulator.inject.clear());
  afterAll(async () => {
    await emulator?.stop();
  });

  async function sendWith(
    source: CredentialSource,
    message = { to: BOB, subject: 'x', text: 'x' },
    timeoutMs?: number,
  ) {
    const connection = await graph.connect(emulatorApiServer(emulator, timeoutMs), source);
    try {
      return await connection.send(message);
    } finally {
      connection.dispose();
    }
  }

  it('an Outlook (Exchange) token: developer, names the Graph scope, not retried, token not shown', async () => {
    const source = appOnlySource(emulator, { scope: OUTLOOK_DEFAULT });
    const token = ((await source.getCredential({ protocol: 'graph' })) as OAuth2Credential).accessToken;
    const error = await mailplugRejection(sendWith(source));
    expect(error).toMatchObject({ code: 'GRAPH_TOKEN_WRONG_AUDIENCE', action: 'developer' });
    expect(error.hint).toContain('https://graph.microsoft.com/.default');
    expect(error.message).toContain('https://outlook.office365.com');
    expect(source.requests.filter((r) => r.forceRefresh)).toEqual([]);
    expect(JSON.stringify(error.toJSON())).not.toContain(token.slice(-40));
  });

  it('an app without the Mail.Send application permission: admin, API permissions + admin consent', async () => {
    const error = await mailplugRejection(
      sendWith(appOnlySource(emulator, { clientId: NO_MAIL_SEND_APP, clientSecret: 'no-mail-send-secret' })),
    );
    expect(error).toMatchObject({ code: 'GRAPH_ACCESS_DENIED', action: 'admin' });
    expect(error.hint).toContain('Application permissions → Mail.Send');
    expect(error.hint).toContain('Grant admin consent');
  });

  it('an application access policy leaving the mailbox out: admin, with the PowerShell to check and fix it', async () => {
    const source = appOnlySource(emulator, {
      clientId: RESTRICTED_APP,
      clientSecret: 'restricted-secret',
      mailbox: BOB,
    });
    const error = await mailplugRejection(sendWith(source, { to: ALICE, subject: 'x', text: 'x' }));
    expect(error).toMatchObject({ code: 'GRAPH_ACCESS_DENIED', action: 'admin' });
    expect(error.hint).toContain('Test-ApplicationAccessPolicy');
    expect(error.hint).toContain('New-ApplicationAccessPolicy');
    expect(error.details?.graphCode).toBe('ErrorAccessDenied');
  });

  it('a From the app may not send as: ErrorSendAsDenied, admin with the Send As step', async () => {
    const source = appOnlySource(emulator, { clientId: RESTRICTED_APP, clientSecret: 'restricted-secret' });
    const error = await mailplugRejection(
      sendWith(source, { from: BOB, to: ALICE, subject: 'x', text: 'x' } as never),
    );
    expect(error).toMatchObject({ code: 'GRAPH_SEND_AS_DENIED', action: 'admin' });
    expect(error.message).toContain(BOB);
    expect(error.hint).toContain(BOB);
  });

  it('a mailbox not enabled for the REST API: admin, and the route is marked closed for a fallback', async () => {
    emulator.graph.setRestApiEnabled(ALICE, false);
    try {
      const error = await mailplugRejection(sendWith(appOnlySource(emulator)));
      expect(error).toMatchObject({ code: 'GRAPH_MAILBOX_NOT_ENABLED', action: 'admin' });
      expect(error.details?.routeClosed).toBe(true);
      expect(error.hint).toContain('Exchange Online license');
    } finally {
      emulator.graph.setRestApiEnabled(ALICE, true);
    }
  });

  it('an invalid recipient: every refused address in details.rejected', async () => {
    const error = await mailplugRejection(
      sendWith(appOnlySource(emulator), {
        to: [BOB, 'carol@contoso..test'],
        subject: 'x',
        text: 'x',
      } as never),
    );
    expect(error).toMatchObject({ code: 'GRAPH_RECIPIENTS_REJECTED', action: 'user' });
    expect(error.details?.rejected).toEqual([expect.objectContaining({ address: 'carol@contoso..test' })]);
  });

  it('no usable recipient at all: refused before any request', async () => {
    const before = graphRequests(emulator);
    const error = await mailplugRejection(
      sendWith(appOnlySource(emulator), { to: 'not-an-address', subject: 'x', text: 'x' }),
    );
    expect(error).toMatchObject({ code: 'GRAPH_RECIPIENTS_REJECTED', action: 'user' });
    expect(error.details?.rejected).toEqual([{ address: 'not-an-address', message: expect.any(String) }]);
    expect(graphRequests(emulator)).toBe(before);
  });

  it('429 with Retry-After: retry, retryAfterMs from the header, nothing delivered', async () => {
    emulator.inject.microsoft({ endpoint: 'sendMail', status: 429, retryAfterSeconds: 5 });
    const error = await mailplugRejection(sendWith(appOnlySource(emulator)));
    expect(error).toMatchObject({ code: 'GRAPH_THROTTLED', action: 'retry', retryAfterMs: 5000 });
    expect(error.details).toMatchObject({
      status: 429,
      graphCode: 'ApplicationThrottled',
      mayHaveBeenDelivered: false,
    });
  });

  it('429 without Retry-After: retry with no retryAfterMs (the caller backs off)', async () => {
    emulator.inject.microsoft({ endpoint: 'sendMail', status: 429 });
    const error = await mailplugRejection(sendWith(appOnlySource(emulator)));
    expect(error).toMatchObject({ code: 'GRAPH_THROTTLED', action: 'retry' });
    expect(error.retryAfterMs).toBeUndefined();
  });

  it.each([
    [{ status: 503 as const, body: 'text' as const }, 503],
    [{ status: 502 as const, body: 'html' as const }, 502],
  ])('a proxy or gateway answering %o: retry, not delivered', async (fault, status) => {
    emulator.inject.microsoft({ endpoint: 'sendMail', ...fault });
    const error = await mailplugRejection(sendWith(appOnlySource(emulator)));
    expect(error).toMatchObject({ code: 'GRAPH_UNAVAILABLE', action: 'retry' });
    expect(error.details).toMatchObject({ status, mayHaveBeenDelivered: false });
  });

  it('a reset connection: retry', async () => {
    emulator.inject.microsoft({ endpoint: 'sendMail', reset: true });
    const error = await mailplugRejection(sendWith(appOnlySource(emulator)));
    expect(error).toMatchObject({ code: 'GRAPH_CONNECTION_FAILED', action: 'retry' });
  });

  it('a black hole: the deadline from the server timeout ends the request', async () => {
    emulator.inject.microsoft({ endpoint: 'sendMail', blackHole: true });
    const error = await mailplugRejection(sendWith(appOnlySource(emulator), undefined, 800));
    expect(error).toMatchObject({ code: 'GRAPH_TIMEOUT', action: 'retry' });
    expect(error.details).toMatchObject({ deadlineMs: 800, mayHaveBeenDelivered: true });
  });

  it("the caller's signal ends a hanging request: SEND_CANCELLED", async () => {
    emulator.inject.microsoft({ endpoint: 'sendMail', blackHole: true });
    const connection = await graph.connect(emulatorApiServer(emulator), appOnlySource(emulator));
    const controller = new AbortController();
    const pending = connection.send({ to: BOB, subject: 'x', text: 'x' }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('host shutting down')), 100);
    const error = await mailplugRejection(pending);
    connection.dispose();
    expect(error).toMatchObject({ code: 'SEND_CANCELLED', action: 'retry' });
  });

  it('a message over the 4 MB request limit: MESSAGE_TOO_LARGE naming the limit, no request made', async () => {
    const before = graphRequests(emulator);
    const big = new Uint8Array(3.2 * 1024 * 1024).fill(65);
    const error = await mailplugRejection(
      sendWith(appOnlySource(emulator), {
        to: BOB,
        subject: 'big',
        text: 'x',
        attachments: [{ filename: 'scan.bin', content: big }],
      } as never),
    );
    expect(error).toMatchObject({ code: 'MESSAGE_TOO_LARGE', action: 'developer' });
    expect(error.message).toContain('4 MB');
    expect(error.details?.limitBytes).toBe(4 * 1024 * 1024);
    expect(graphRequests(emulator)).toBe(before);
  });

  it('a token Graph no longer accepts is replaced once (forceRefresh) and the message goes out', async () => {
    const source = staleFirstSource(appOnlySource(emulator));
    const result = await sendWith(source, { to: BOB, subject: 'after refresh', text: 'x' });
    expect(result.accepted).toEqual([BOB]);
    expect(source.requests.filter((r) => r.forceRefresh)).toHaveLength(1);
  });

  it('a token refused again after the refresh: app-only → admin', async () => {
    const inner = appOnlySource(emulator);
    const broken: CredentialSource = {
      async getCredential(request) {
        const credential = (await inner.getCredential(request)) as OAuth2Credential;
        return {
          ...credential,
          accessToken: `${credential.accessToken.split('.').slice(0, 2).join('.')}.bad`,
        };
      },
    };
    const error = await mailplugRejection(sendWith(broken));
    expect(error).toMatchObject({ code: 'GRAPH_TOKEN_REJECTED', action: 'admin' });
  });

  it('a password credential: refused at connect, admin', async () => {
    const source: CredentialSource = {
      getCredential: async () => ({ kind: 'password', user: ALICE, password: 'pw-never-shown' }),
    };
    const error = await mailplugRejection(graph.connect(emulatorApiServer(emulator), source));
    expect(error).toMatchObject({ code: 'GRAPH_CREDENTIAL_UNSUPPORTED', action: 'admin' });
  });

  it('no token over plain http except to loopback with allowInsecureAuth', async () => {
    const error = await mailplugRejection(
      graph.connect(
        { host: 'graph.example.net', port: 80, security: 'none', allowInsecureAuth: true },
        appOnlySource(emulator),
      ),
    );
    expect(error).toMatchObject({ code: 'INSECURE_AUTH_REFUSED', action: 'admin' });
  });

  it('saveToSentItems: false is refused when the protocol is created', () => {
    expect(() => createGraphProtocol({ saveToSentItems: false })).toThrow(/Sent Items/);
  });
});
