/**
 * End to end: the real google-auth-library against @mailplug/emulator's Google endpoints, sending
 * through @mailplug/protocol-smtp with XOAUTH2 to the emulator's SMTP server.
 */
import { isMailplugError, type MailplugError, validateSettings } from '@mailplug/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGmailOAuth, type GmailOAuthSession } from '../src/index.js';
import { gmailOAuthContribution } from '../src/manifest.js';
import {
  bindSession,
  consentWithScopes,
  type GoogleTestBed,
  headlessAuthorize,
  loopbackSessions,
  MAIL_SCOPE,
  oauthCredential,
  type SessionHandle,
  sendThroughEmulator,
  startGoogleTestBed,
  subjectsDelivered,
} from './helpers.js';

const definition = createGmailOAuth({
  earlyRefreshMs: 5_000,
  retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
});
const { net, track } = loopbackSessions<GmailOAuthSession>();

function bind(bed: GoogleTestBed, settings = bed.settings, extra: Parameters<typeof bindSession>[3] = {}) {
  return track(bindSession<GmailOAuthSession>(definition, bed, settings, extra));
}

async function signIn(handle: SessionHandle<GmailOAuthSession>, ca?: string) {
  const start = await handle.session.interactive.begin();
  return handle.session.interactive.complete(await headlessAuthorize(start, ca));
}

async function failure(promise: Promise<unknown>): Promise<MailplugError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isMailplugError(error)) throw new Error(`expected a MailplugError, got ${String(error)}`);
  return error;
}

afterAll(() => {
  expect(net.destinations.length).toBeGreaterThan(0);
});

describe('gmail-oauth sign-in and send (rotating refresh tokens)', () => {
  let bed: GoogleTestBed;
  beforeAll(async () => {
    bed = await startGoogleTestBed({ googleRotatesRefreshTokens: true, lifetimes: { accessToken: 60 } });
  });
  afterAll(() => bed.stop());

  it('signs in headlessly, records the mailbox and sends with XOAUTH2', async () => {
    const h = bind(bed);
    const identity = await signIn(h);
    expect(identity.mailbox).toBe('alice@contoso.test');
    expect(identity.subject).toBeTruthy();
    expect(h.changes).toContainEqual({ type: 'added', accountId: 'acct', identity });

    const status = await h.session.checkAuthorization();
    expect(status.state).toBe('authorized');
    expect(status.identity?.mailbox).toBe('alice@contoso.test');
    expect(status.grantedScopes).toEqual(expect.arrayContaining([MAIL_SCOPE, 'openid', 'email']));
    expect(status.accessTokenExpiresAt).toBeGreaterThan(Date.now());

    const result = await sendThroughEmulator(bed, h.session, 'first send');
    expect(result.accepted).toEqual(['bob@contoso.test']);
    expect(subjectsDelivered(bed)).toContain('first send');
    const grants = bed.emulator.events.list({ kind: 'grant', flavour: 'google' }).map((e) => e.grant);
    expect(grants).toContain('authorization_code');
  });

  it('refreshes silently after expiry, saves every rotated refresh token and sends again', async () => {
    const h = bind(bed);
    await signIn(h);
    const first = await oauthCredential(h.session);
    const firstRefresh = ((await h.store.get('acct:tokens')) as { refreshToken: string }).refreshToken;

    h.advance(70); // past the 60 s access-token lifetime, at the emulator and in the session
    await sendThroughEmulator(bed, h.session, 'after refresh');
    const second = await oauthCredential(h.session);
    expect(second.accessToken).not.toBe(first.accessToken);
    const secondRefresh = ((await h.store.get('acct:tokens')) as { refreshToken: string }).refreshToken;
    expect(secondRefresh).not.toBe(firstRefresh);
    expect(h.changes).toContainEqual({ type: 'changed', accountId: 'acct', reason: 'rotated' });

    // The emulator killed the first refresh token when it rotated; only the saved one works now.
    h.advance(70);
    await sendThroughEmulator(bed, h.session, 'after second refresh');
    expect(subjectsDelivered(bed)).toEqual(expect.arrayContaining(['after refresh', 'after second refresh']));
    expect((await h.session.checkAuthorization()).state).toBe('authorized');
  });
});

describe('gmail-oauth failures', () => {
  let bed: GoogleTestBed;
  beforeAll(async () => {
    bed = await startGoogleTestBed({ lifetimes: { accessToken: 60 } });
  });
  afterAll(() => bed.stop());

  it('granular consent without the Gmail box fails at sign-in with GMAIL_SCOPE_NOT_GRANTED', async () => {
    bed.emulator.identity.config.autoApprove = false;
    try {
      const h = bind(bed);
      const start = await h.session.interactive.begin();
      const params = await consentWithScopes(bed, start, ['openid', 'email']);
      const error = await failure(h.session.interactive.complete(params));
      expect(error.code).toBe('GMAIL_SCOPE_NOT_GRANTED');
      expect(error.action).toBe('user');
      expect(error.hint).toContain('Read, compose, send and permanently delete all your email from Gmail');
      expect(await h.session.checkAuthorization()).toMatchObject({ state: 'signInRequired' });
    } finally {
      bed.emulator.identity.config.autoApprove = 'first-user';
    }
  });

  it('a wrong client secret is an admin error at code exchange', async () => {
    const h = bind(bed, bed.settings, {
      secrets: { 'emulator-google-client-secret': 'GOCSPX-wrong-secret-value' },
    });
    const error = await failure(signIn(h));
    expect(error.code).toBe('GMAIL_CLIENT_INVALID');
    expect(error.action).toBe('admin');
    expect(JSON.stringify(error.toJSON())).not.toContain('GOCSPX-wrong-secret-value');
  });

  it('signing in as another mailbox than configured is refused', async () => {
    const h = bind(bed, { ...bed.settings, mailbox: 'bob@contoso.test' });
    const start = await h.session.interactive.begin();
    expect(new URL(start.url).searchParams.get('login_hint')).toBe('bob@contoso.test');
    bed.emulator.identity.config.autoApprove = 'alice@contoso.test';
    try {
      const error = await failure(h.session.interactive.complete(await headlessAuthorize(start)));
      expect(error.code).toBe('GMAIL_WRONG_ACCOUNT');
      expect(error.hint).toContain('bob@contoso.test');
    } finally {
      bed.emulator.identity.config.autoApprove = 'first-user';
    }
  });

  it('refuses a sign-in for another mailbox than the host expects, keeps nothing and gives the grant back', async () => {
    const h = bind(bed);
    const revokedBefore = bed.emulator.events.list({ kind: 'revoked', flavour: 'google' }).length;
    const start = await h.session.interactive.begin({ binding: 'web-session-7' });
    const error = await failure(
      h.session.interactive.complete(await headlessAuthorize(start), {
        binding: 'web-session-7',
        expectedMailbox: 'Bob@Contoso.test',
      }),
    );
    expect(error).toMatchObject({ code: 'MAILBOX_MISMATCH', action: 'user' });
    expect(error.hint).toContain('Bob@Contoso.test');
    expect(await h.store.get('acct:tokens')).toBeUndefined();
    expect(h.changes.some((c) => c.type === 'added')).toBe(false);
    expect(bed.emulator.events.list({ kind: 'revoked', flavour: 'google' }).length).toBe(revokedBefore + 1);
    // The expected mailbox compares without case; `false` accepts any.
    const again = await h.session.interactive.begin();
    await expect(
      h.session.interactive.complete(await headlessAuthorize(again), {
        expectedMailbox: 'ALICE@contoso.test',
      }),
    ).resolves.toMatchObject({ mailbox: 'alice@contoso.test' });
  });

  it('429 and 503 from the token endpoint are retried and never reported as bad credentials', async () => {
    const h = bind(bed);
    await signIn(h);
    h.advance(70);
    const once = bed.emulator.inject.google({ status: 503, times: 1 });
    await expect(h.session.getCredential({ protocol: 'smtp' })).resolves.toMatchObject({
      kind: 'oauth2',
      user: 'alice@contoso.test',
    });
    expect(once.hits).toBe(1);

    h.advance(70);
    const always = bed.emulator.inject.google({
      status: 429,
      retryAfterSeconds: 0,
      times: Number.POSITIVE_INFINITY,
    });
    const error = await failure(h.session.getCredential({ protocol: 'smtp' }));
    // "Check Authorization" during the outage says so; it never blames the configuration.
    const outage = await h.session.checkAuthorization();
    always.remove();
    expect(error.code).toBe('TRANSIENT');
    expect(error.action).toBe('retry');
    expect(outage).toMatchObject({ state: 'temporarilyUnavailable', error: { code: 'TRANSIENT' } });
    expect(outage.identity?.mailbox).toBe('alice@contoso.test');
    expect(always.hits).toBe(6); // two calls, each stopped at this session's retry ceiling of 3

    // A Retry-After longer than the retry ceiling is honoured: give up now, tell the host when.
    const slow = bed.emulator.inject.google({
      status: 429,
      retryAfterSeconds: 30,
      times: Number.POSITIVE_INFINITY,
    });
    const later = await failure(h.session.getCredential({ protocol: 'smtp' }));
    slow.remove();
    expect(later).toMatchObject({ code: 'TRANSIENT', retryAfterMs: 30_000 });
    expect(slow.hits).toBe(1);
    expect(await h.session.checkAuthorization()).toMatchObject({ state: 'authorized' });
    expect(h.changes.some((c) => c.type === 'reauthRequired')).toBe(false);
  });

  it('a revoked refresh token raises reauthRequired (event and state) and nothing is sent', async () => {
    const h = bind(bed);
    await signIn(h);
    const { refreshToken } = (await h.store.get('acct:tokens')) as { refreshToken: string };
    const revoke = await fetch(`${bed.httpBase}/revoke?token=${encodeURIComponent(refreshToken)}`, {
      method: 'POST',
    });
    expect(revoke.status).toBe(200);
    h.advance(70);

    const before = subjectsDelivered(bed).length;
    const error = await failure(sendThroughEmulator(bed, h.session, 'must not arrive'));
    expect(error.code).toBe('REAUTH_REQUIRED');
    expect(error.action).toBe('user');
    expect(subjectsDelivered(bed)).toHaveLength(before);

    const event = h.changes.find((c) => c.type === 'reauthRequired');
    expect(event).toMatchObject({ type: 'reauthRequired', accountId: 'acct' });
    expect(event?.type === 'reauthRequired' && event.error.hint).toMatch(/7 days.*Testing/);
    const status = await h.session.checkAuthorization();
    expect(status.state).toBe('reauthRequired');
    expect(status.identity?.mailbox).toBe('alice@contoso.test');
    // No retry loop: further sends fail fast without asking Google again.
    const refusals = bed.emulator.events.list({ kind: 'grant-refused', flavour: 'google' }).length;
    await expect(h.session.getCredential({ protocol: 'smtp' })).rejects.toMatchObject({
      code: 'REAUTH_REQUIRED',
    });
    expect(bed.emulator.events.list({ kind: 'grant-refused', flavour: 'google' })).toHaveLength(refusals);
  });

  it('signing in again after REAUTH_REQUIRED restores sending', async () => {
    const h = bind(bed);
    await signIn(h);
    bed.emulator.identity.expireRefreshTokens('alice@contoso.test');
    h.advance(70);
    await expect(h.session.getCredential({ protocol: 'smtp' })).rejects.toMatchObject({
      code: 'REAUTH_REQUIRED',
    });
    await signIn(h);
    await sendThroughEmulator(bed, h.session, 'after re-auth');
    expect(subjectsDelivered(bed)).toContain('after re-auth');
  });

  it('signOut revokes the grant at Google, forgets tokens and fires removed', async () => {
    const h = bind(bed);
    await signIn(h);
    const { refreshToken } = (await h.store.get('acct:tokens')) as { refreshToken: string };
    await h.store.set('acct:imap-cursor', 12);
    await h.store.set('acct-other:tokens', 'kept');
    await expect(h.session.signOut()).resolves.toEqual({ revocation: 'revoked' });
    // Every key of the account goes, another account's stay.
    expect(await h.store.get('acct:imap-cursor')).toBeUndefined();
    expect(await h.store.get('acct-other:tokens')).toBe('kept');
    expect(bed.emulator.events.list({ kind: 'revoked', flavour: 'google' }).length).toBeGreaterThan(0);
    expect(h.changes.at(-1)).toEqual({ type: 'removed', accountId: 'acct' });
    expect(await h.store.get('acct:tokens')).toBeUndefined();
    await expect(h.session.getCredential({ protocol: 'smtp' })).rejects.toMatchObject({
      code: 'SIGN_IN_REQUIRED',
    });
    // A second sign-out has nothing left to revoke.
    await expect(h.session.signOut()).resolves.toEqual({ revocation: 'nothingToRevoke' });
    // The refresh token is dead at the identity provider too.
    const res = await fetch(`${bed.httpBase}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: String(bed.settings.clientId),
        client_secret: bed.secrets['emulator-google-client-secret'] ?? '',
      }),
    });
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('interactive.loopback serves its own 127.0.0.1 redirect on an ephemeral port', async () => {
    const h = bind(bed, { ...bed.settings, redirectUri: 'http://127.0.0.1/callback' });
    let opened = '';
    const identity = await h.session.interactive.loopback({
      openUrl: async (url) => {
        opened = url;
        // The "browser": follow Google's redirect to the loopback listener.
        const res = await fetch(url, { redirect: 'manual' });
        await fetch(res.headers.get('location') ?? '');
      },
    });
    expect(identity.mailbox).toBe('alice@contoso.test');
    expect(new URL(opened).searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    await expect(h.session.getCredential({ protocol: 'imap' })).resolves.toMatchObject({
      user: 'alice@contoso.test',
    });
  });

  it('works over https with the emulator CA given in the ca setting', async () => {
    // The emulator's ready-made settings (which httpsSettings is, less mailbox) fit this package's schema as-is.
    expect(
      validateSettings(gmailOAuthContribution.settingsSchema, bed.emulator.settings['gmail-oauth'].settings),
    ).toEqual([]);
    const h = bind(bed, bed.httpsSettings);
    expect(String(bed.httpsSettings.tokenUrl).startsWith('https://')).toBe(true);
    expect(bed.httpsSettings.certsUrl).toBe(`${bed.emulator.urls.googleBase}/oauth2/v3/certs`);
    await expect(signIn(h, bed.emulator.caCertPem)).resolves.toMatchObject({ mailbox: 'alice@contoso.test' });
    await sendThroughEmulator(bed, h.session, 'over https');
    expect(subjectsDelivered(bed)).toContain('over https');
  });
});
