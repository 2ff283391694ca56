import { createMemoryTokenStore, isMailplugError, type MailplugError } from '@mailplug/core';
import type { Emulator } from '@mailplug/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createM365DelegatedSession,
  emulatorFor,
  followAuthorize,
  initFor,
  requestLog,
  sendOne,
} from './helpers.js';

const PUBLIC_APP = '5a1e7c00-0000-4000-8000-00000000a002';

describe('m365-delegated device code, errors and SSO hand-off', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await emulatorFor();
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  const publicInit = (id: string) =>
    initFor(emulator, { clientId: PUBLIC_APP, clientSecret: undefined }, createMemoryTokenStore(), id);

  it('signs in with a device code approved through the emulator, then sends', async () => {
    const log = requestLog();
    const session = createM365DelegatedSession(publicInit('dev-1'), { onRequest: log.onRequest });
    const prompts: string[] = [];
    const identity = await session.deviceCode.signIn({
      onPrompt: (prompt) => {
        prompts.push(prompt.message);
        expect(prompt.verificationUri).toContain('/devicelogin');
        emulator.identity.approveDeviceCode(prompt.userCode, 'alice@contoso.test');
      },
    });
    expect(identity.mailbox).toBe('alice@contoso.test');
    expect(prompts).toHaveLength(1);
    expect((await sendOne(emulator, session, 'alice@contoso.test', 'device')).accepted).toHaveLength(1);
    expect(log.hosts()).toEqual(['127.0.0.1']);
    session.dispose();
  });

  it('cancels a device code sign-in through an AbortSignal', async () => {
    const session = createM365DelegatedSession(publicInit('dev-2'));
    const controller = new AbortController();
    const error = await session.deviceCode
      .signIn({
        onPrompt: () => controller.abort(),
        signal: controller.signal,
      })
      .catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('M365_SIGN_IN_CANCELLED');
    session.dispose();
  });

  it("refuses a callback whose state another account's session started, without cancelling that sign-in", async () => {
    const store = createMemoryTokenStore();
    const a = createM365DelegatedSession(initFor(emulator, {}, store, 'state-a'));
    const b = createM365DelegatedSession(initFor(emulator, {}, store, 'state-b'));
    const params = await followAuthorize((await a.interactive.begin()).url, emulator.caCertPem);
    const error = (await b.interactive.complete(params).catch((e: unknown) => e)) as MailplugError;
    expect([error.code, error.action]).toEqual(['SIGN_IN_STATE_INVALID', 'developer']);
    expect(error.hint).toMatch(/account that started it/);
    await expect(b.checkAuthorization()).resolves.toMatchObject({ state: 'signInRequired' });
    // The account that started it still completes (a stray callback cannot cancel a sign-in), once.
    await expect(a.interactive.complete(params)).resolves.toMatchObject({ mailbox: 'alice@contoso.test' });
    const replay = (await a.interactive.complete(params).catch((e: unknown) => e)) as MailplugError;
    expect([replay.code, replay.action]).toEqual(['SIGN_IN_STATE_INVALID', 'user']);
    a.dispose();
    b.dispose();
  });

  const injected: Array<[number, string, RegExp]> = [
    [50076, 'M365_MFA_REQUIRED', /multi-factor/],
    [50126, 'M365_WRONG_PASSWORD', /password/],
    [54005, 'M365_CODE_ALREADY_REDEEMED', /Start the sign-in again/],
    [65001, 'M365_CONSENT_REQUIRED', /admin consent/],
    [53003, 'M365_CONDITIONAL_ACCESS', /Conditional Access/],
    [700016, 'M365_APP_NOT_FOUND', /client\) ID/],
    [7000215, 'M365_CLIENT_SECRET_INVALID', /Value/],
    [90002, 'M365_TENANT_NOT_FOUND', /tenant\) ID/],
    [70011, 'M365_INVALID_SCOPE', /Graph/],
  ];
  for (const [aadsts, code, hint] of injected) {
    it(`surfaces AADSTS${aadsts} at code redemption as ${code}`, async () => {
      const session = createM365DelegatedSession(
        initFor(emulator, {}, createMemoryTokenStore(), `err-${aadsts}`),
      );
      const params = await followAuthorize((await session.interactive.begin()).url, emulator.caCertPem);
      emulator.inject.microsoft({ aadsts, endpoint: 'token', times: 1 });
      const error = (await session.interactive.complete(params).catch((e: unknown) => e)) as MailplugError;
      expect(error.code).toBe(code);
      expect(error.hint).toMatch(hint);
      expect(error.details?.aadsts).toBe(`AADSTS${aadsts}`);
      session.dispose();
    });
  }

  it('reports a 5xx from the token endpoint as transient, not as bad credentials', async () => {
    const session = createM365DelegatedSession(initFor(emulator, {}, createMemoryTokenStore(), 'err-503'));
    const params = await followAuthorize((await session.interactive.begin()).url, emulator.caCertPem);
    emulator.inject.microsoft({ status: 503, endpoint: 'token', times: 1 });
    const error = (await session.interactive.complete(params).catch((e: unknown) => e)) as MailplugError;
    expect(error.code).toBe('TRANSIENT');
    expect(error.action).toBe('retry');
    session.dispose();
  });

  it('refuses a sign-in for another mailbox than the host expects and keeps nothing; binds the callback to its browser session', async () => {
    const store = createMemoryTokenStore();
    const session = createM365DelegatedSession(initFor(emulator, {}, store, 'expect'));
    const start = await session.interactive.begin({ binding: 'web-session-1' });
    const params = await followAuthorize(start.url, emulator.caCertPem);
    const foreign = await session.interactive
      .complete(params, { binding: 'web-session-2' })
      .catch((e: unknown) => e);
    expect(isMailplugError(foreign) && foreign.code).toBe('SIGN_IN_BINDING_MISMATCH');
    const error = await session.interactive
      .complete(params, { binding: 'web-session-1', expectedMailbox: 'bob@contoso.test' })
      .catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('MAILBOX_MISMATCH');
    expect(await store.get('expect:tokens')).toBeUndefined();
    expect((await session.checkAuthorization()).state).toBe('signInRequired');
    const again = await followAuthorize((await session.interactive.begin()).url, emulator.caCertPem);
    await expect(
      session.interactive.complete(again, { expectedMailbox: 'Alice@Contoso.test' }),
    ).resolves.toMatchObject({ mailbox: 'alice@contoso.test' });
    session.dispose();
  });

  it('refuses a sign-in by someone other than the configured mailbox', async () => {
    const session = createM365DelegatedSession(
      initFor(emulator, { mailbox: 'bob@contoso.test' }, createMemoryTokenStore(), 'mm'),
    );
    // login_hint names bob, but force alice through a host-side hint to simulate the wrong user.
    const start = await session.interactive.begin({ loginHint: 'alice@contoso.test' });
    const error = await session.interactive
      .complete(await followAuthorize(start.url, emulator.caCertPem))
      .catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('M365_MAILBOX_MISMATCH');
    session.dispose();
  });

  it('hands off an existing host session: incremental consent first, silent afterwards; mailbox must match', async () => {
    const store = createMemoryTokenStore();
    const session = createM365DelegatedSession(initFor(emulator, {}, store, 'sso'));
    const claims = { preferred_username: 'alice@contoso.test' };
    const first = await session.sso.signIn({ idTokenClaims: claims });
    expect(first.status).toBe('consentRequired');
    if (first.status !== 'consentRequired') return;
    const url = new URL(first.signIn.url);
    expect(url.searchParams.get('login_hint')).toBe('alice@contoso.test');
    expect(url.searchParams.get('prompt')).toBe('consent');
    await session.interactive.complete(await followAuthorize(first.signIn.url, emulator.caCertPem));
    const second = await session.sso.signIn({ loginHint: 'alice@contoso.test' });
    expect(second.status).toBe('signedIn');
    const wrong = await session.sso.signIn({ loginHint: 'bob@contoso.test' }).catch((e: unknown) => e);
    expect(isMailplugError(wrong) && wrong.code).toBe('M365_MAILBOX_MISMATCH');
    session.dispose();
  });
  it("adopts a host's own msal cache entries for one user and signs in silently", async () => {
    // The "host": an app that already signed alice in with the same app registration.
    const hostStore = createMemoryTokenStore();
    const host = createM365DelegatedSession(initFor(emulator, {}, hostStore, 'host-user'));
    await host.interactive.complete(
      await followAuthorize((await host.interactive.begin()).url, emulator.caCertPem),
    );
    const serializedCache = String(await hostStore.get('host-user:msal-cache'));
    const { homeAccountId } = (
      (await hostStore.get('host-user:tokens')) as { extra: { homeAccountId: string } }
    ).extra;
    host.dispose();

    const store = createMemoryTokenStore();
    const session = createM365DelegatedSession(initFor(emulator, {}, store, 'adopted'));
    const result = await session.sso.adoptHostSession({
      serializedCache,
      homeAccountId,
      loginHint: 'alice@contoso.test',
    });
    expect(result).toMatchObject({ status: 'signedIn', identity: { mailbox: 'alice@contoso.test' } });
    expect((await sendOne(emulator, session, 'alice@contoso.test', 'adopted')).accepted).toHaveLength(1);
    session.dispose();
  });
});
