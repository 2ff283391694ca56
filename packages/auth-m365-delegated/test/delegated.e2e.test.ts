import {
  createMemorySecretStore,
  createMemoryTokenStore,
  isMailplugError,
  type OAuth2Credential,
  type SessionChange,
  validateSettings,
} from '@mailplug/core';
import type { Emulator } from '@mailplug/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createM365Delegated, type M365DelegatedSession } from '../src/index.js';
import {
  createM365DelegatedSession,
  emulatorFor,
  followAuthorize,
  initFor,
  requestLog,
  sendOne,
} from './helpers.js';

describe('m365-delegated end to end (real msal-node against the emulator)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await emulatorFor();
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  it('signs in with auth code + PKCE, sends, refreshes after expiry (rotation persisted) and sends again', async () => {
    const log = requestLog();
    const store = createMemoryTokenStore();
    let clock = Date.now();
    const init = { ...initFor(emulator, {}, store), now: () => clock };
    const session = createM365DelegatedSession(init, { onRequest: log.onRequest });
    const events: SessionChange[] = [];
    session.onDidChangeSession((e) => events.push(e));

    const start = await session.interactive.begin();
    const authorize = new URL(start.url);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('scope')).toContain('https://outlook.office.com/SMTP.Send');
    expect(authorize.searchParams.get('scope')).not.toMatch(/graph/i);
    const params = await followAuthorize(start.url, emulator.caCertPem);
    expect(params.state).toBe(start.state);

    const identity = await session.interactive.complete(params);
    expect(identity.mailbox).toBe('alice@contoso.test');
    expect(events.map((e) => e.type)).toContain('added');
    // The state is single-use.
    await expect(session.interactive.complete(params)).rejects.toMatchObject({
      code: 'SIGN_IN_STATE_INVALID',
    });

    const status = await session.checkAuthorization();
    expect(status.state).toBe('authorized');
    expect(status.identity?.mailbox).toBe('alice@contoso.test');
    expect(status.grantedScopes.join(' ')).toContain('SMTP.Send');
    expect(status.accessTokenExpiresAt).toBeGreaterThan(Date.now());

    const first = (await session.getCredential({ protocol: 'smtp' })) as OAuth2Credential;
    const sent = await sendOne(emulator, session, 'alice@contoso.test', 'first');
    expect(sent.accepted).toEqual(['bob@contoso.test']);

    // Past expiry on our clock: the manager refreshes silently through msal.
    clock += 2 * 3600_000;
    const second = (await session.getCredential({ protocol: 'smtp' })) as OAuth2Credential;
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(events).toContainEqual({ type: 'changed', accountId: 'acct-1', reason: 'rotated' });
    expect((await sendOne(emulator, session, 'alice@contoso.test', 'second')).accepted).toHaveLength(1);

    // A new provider instance on the same store (a restart) still works, with the rotated token.
    session.dispose();
    clock += 2 * 3600_000;
    const restarted = createM365DelegatedSession(
      { ...initFor(emulator, {}, store), now: () => clock },
      { onRequest: log.onRequest },
    );
    const third = (await restarted.getCredential({ protocol: 'smtp' })) as OAuth2Credential;
    expect(third.accessToken).not.toBe(second.accessToken);
    expect((await sendOne(emulator, restarted, 'alice@contoso.test', 'third')).accepted).toHaveLength(1);
    expect(emulator.mail?.list('bob@contoso.test').length).toBeGreaterThanOrEqual(3);

    // Sign-out forgets msal's cache and the manager's tokens; Microsoft has no per-app revocation.
    await expect(restarted.signOut()).resolves.toEqual({ revocation: 'unsupported' });
    expect(await store.get('acct-1:msal-cache')).toBeUndefined();
    await expect(restarted.getCredential({ protocol: 'smtp' })).rejects.toMatchObject({
      code: 'SIGN_IN_REQUIRED',
    });
    restarted.dispose();

    expect(log.urls.length).toBeGreaterThan(0);
    expect(log.hosts()).toEqual(['127.0.0.1']);
    expect(
      emulator.requests.every((r: { remoteAddress: string }) => r.remoteAddress.endsWith('127.0.0.1')),
    ).toBe(true);
  });

  it('marks the account reauthRequired with an event when the refresh token expired (AADSTS700082)', async () => {
    let clock = Date.now();
    const session = createM365DelegatedSession({
      ...initFor(emulator, {}, createMemoryTokenStore(), 'acct-exp'),
      now: () => clock,
    });
    const events: SessionChange[] = [];
    session.onDidChangeSession((e) => events.push(e));
    await session.interactive.complete(
      await followAuthorize((await session.interactive.begin()).url, emulator.caCertPem),
    );
    const handle = emulator.inject.microsoft({ aadsts: 700082, endpoint: 'token' });
    clock += 2 * 3600_000;
    const error = await session.getCredential({ protocol: 'smtp' }).catch((e: unknown) => e);
    expect(isMailplugError(error) && error.code).toBe('REAUTH_REQUIRED');
    expect(isMailplugError(error) && error.hint).toMatch(/sign in again/);
    expect(events.find((e) => e.type === 'reauthRequired')).toBeDefined();
    expect((await session.checkAuthorization()).state).toBe('reauthRequired');
    void handle;
    session.dispose();
  });

  it('takes the app registration from the factory, reports an outage as temporarilyUnavailable and forgets every key at sign-out', async () => {
    const preset = emulator.settings['m365-delegated'];
    const { tenant, clientId, clientSecret, ...rest } = preset.settings as Record<string, unknown>;
    const provider = createM365Delegated({
      tenant: String(tenant),
      clientId: String(clientId),
      ...(clientSecret ? { clientSecret: clientSecret as { secretRef: string } } : {}),
      retry: { attempts: 1 },
    });
    const accountSettings = { ...rest, redirectUri: 'http://127.0.0.1/callback' };
    expect(validateSettings(provider.settingsSchema, accountSettings)).toEqual([]);
    let clock = Date.now();
    const store = createMemoryTokenStore();
    const session = provider.createSession({
      accountId: 'host-app',
      settings: accountSettings,
      secrets: createMemorySecretStore(preset.secrets),
      tokenStore: store,
      now: () => clock,
    }) as M365DelegatedSession;
    const events: SessionChange[] = [];
    session.onDidChangeSession((e) => events.push(e));
    await session.interactive.complete(
      await followAuthorize((await session.interactive.begin()).url, emulator.caCertPem),
    );

    const outage = emulator.inject.microsoft({ status: 503, endpoint: 'token', times: 1 });
    clock += 2 * 3600_000;
    const status = await session.checkAuthorization();
    expect(outage.hits).toBe(1);
    expect(status).toMatchObject({ state: 'temporarilyUnavailable', error: { code: 'TRANSIENT' } });
    expect(status.identity?.mailbox).toBe('alice@contoso.test');

    await store.set('host-app:imap-cursor', 1);
    await store.set('host-app-2:tokens', 'kept');
    await expect(session.signOut()).resolves.toEqual({ revocation: 'unsupported' });
    expect(await store.get('host-app:tokens')).toBeUndefined();
    expect(await store.get('host-app:msal-cache')).toBeUndefined();
    expect(await store.get('host-app:imap-cursor')).toBeUndefined();
    expect(await store.get('host-app-2:tokens')).toBe('kept');
    expect(events.filter((e) => e.type === 'removed')).toHaveLength(1);
    await expect(session.signOut()).resolves.toEqual({ revocation: 'nothingToRevoke' });
    session.dispose();
  });

  it('refuses a personal Microsoft account', async () => {
    const personal = await emulatorFor({
      users: [{ email: 'someone@outlook.test', tenantId: '9188040d-6c67-4c5b-b112-36a304b66dad' }],
    });
    try {
      const store = createMemoryTokenStore();
      const session = createM365DelegatedSession(
        initFor(personal, { tenant: 'organizations', mailbox: undefined }, store),
      );
      const params = await followAuthorize((await session.interactive.begin()).url, personal.caCertPem);
      const error = await session.interactive.complete(params).catch((e: unknown) => e);
      expect(isMailplugError(error) && error.code).toBe('M365_PERSONAL_ACCOUNT');
      expect(isMailplugError(error) && error.hint).toMatch(/work or school/);
      expect((await session.checkAuthorization()).state).toBe('signInRequired');
      session.dispose();
    } finally {
      await personal.stop();
    }
  });
});
