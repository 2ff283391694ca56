/**
 * google-service-account end to end: google-auth-library's JWT client (routed to the emulator's
 * token URL) with domain-wide delegation, sending through the emulator's SMTP server.
 */
import { DEFAULT_IDS } from '@mailplug/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGoogleServiceAccount } from '../src/index.js';
import {
  bindSession,
  type GoogleTestBed,
  loopbackSessions,
  MAIL_SCOPE,
  oauthCredential,
  sendThroughEmulator,
  startGoogleTestBed,
  subjectsDelivered,
} from './helpers.js';

const definition = createGoogleServiceAccount({
  earlyRefreshMs: 5_000,
  retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
});
const NO_DWD = 'no-delegation@emulator-project.iam.gserviceaccount.com';
const { track } = loopbackSessions();
let bed: GoogleTestBed;
let keys: Record<string, string>;

beforeAll(async () => {
  bed = await startGoogleTestBed({ lifetimes: { accessToken: 60 } });
  bed.emulator.identity.addGoogleServiceAccount({ clientEmail: NO_DWD, clientId: '100000000000000000042' });
  keys = {
    'sa-key': JSON.stringify(
      bed.emulator.identity.serviceAccountKey(DEFAULT_IDS.googleServiceAccount, bed.emulator.urls.googleBase),
    ),
    'sa-key-no-dwd': JSON.stringify(
      bed.emulator.identity.serviceAccountKey(NO_DWD, bed.emulator.urls.googleBase),
    ),
    'sa-key-broken': JSON.stringify({ type: 'service_account', client_email: NO_DWD }),
  };
});

afterAll(async () => {
  await bed.stop();
});

function bind(settings: Record<string, unknown>) {
  return track(bindSession(definition, bed, settings, { secrets: keys }));
}

const httpSettings = (key: string) => ({
  serviceAccountKey: { secretRef: key },
  mailbox: 'alice@contoso.test',
  tokenUrl: `${bed.httpBase}/token`,
});

describe('google-service-account', () => {
  it('impersonates the mailbox with domain-wide delegation and sends', async () => {
    const h = bind(httpSettings('sa-key'));
    const credential = await oauthCredential(h.session);
    expect(credential).toMatchObject({ kind: 'oauth2', user: 'alice@contoso.test', scopes: [MAIL_SCOPE] });
    await sendThroughEmulator(bed, h.session, 'from the service account');
    expect(subjectsDelivered(bed)).toContain('from the service account');
    const grants = bed.emulator.events
      .list({ kind: 'grant', flavour: 'google' })
      .filter((e) => e.grant === 'jwt-bearer');
    expect(grants.at(-1)).toMatchObject({
      user: 'alice@contoso.test',
      clientId: DEFAULT_IDS.googleServiceAccount,
    });

    const status = await h.session.checkAuthorization();
    expect(status).toMatchObject({
      state: 'authorized',
      identity: { mailbox: 'alice@contoso.test' },
      grantedScopes: [MAIL_SCOPE],
    });
  });

  it('caches the token and refreshes it through TokenManager after expiry', async () => {
    const h = bind(httpSettings('sa-key'));
    const first = await oauthCredential(h.session);
    const again = await oauthCredential(h.session);
    expect(again.accessToken).toBe(first.accessToken);
    h.advance(70);
    const renewed = await oauthCredential(h.session);
    expect(renewed.accessToken).not.toBe(first.accessToken);
    expect(h.changes).toContainEqual({ type: 'changed', accountId: 'acct', reason: 'refreshed' });
    await sendThroughEmulator(bed, h.session, 'after service account refresh');
    expect(subjectsDelivered(bed)).toContain('after service account refresh');
  });

  it('without delegation fails with GOOGLE_DWD_NOT_CONFIGURED naming the Admin console step, and sends nothing', async () => {
    const h = bind(httpSettings('sa-key-no-dwd'));
    const before = subjectsDelivered(bed).length;
    const error = await sendThroughEmulator(bed, h.session, 'must not arrive').then(
      () => undefined,
      (e: unknown) => e as { code: string; action: string; hint: string },
    );
    expect(error).toMatchObject({ code: 'GOOGLE_DWD_NOT_CONFIGURED', action: 'admin' });
    expect(error?.hint).toContain('Security → API controls → Domain-wide delegation');
    expect(error?.hint).toContain('100000000000000000042');
    expect(error?.hint).toContain(MAIL_SCOPE);
    expect(subjectsDelivered(bed)).toHaveLength(before);
    const status = await h.session.checkAuthorization();
    expect(status.state).toBe('misconfigured');
    expect(status.error?.code).toBe('GOOGLE_DWD_NOT_CONFIGURED');
    expect(h.changes.some((c) => c.type === 'reauthRequired')).toBe(false);
  });

  it('a key file without private_key is an admin error naming the field', async () => {
    const h = bind(httpSettings('sa-key-broken'));
    await expect(h.session.getCredential({ protocol: 'smtp' })).rejects.toMatchObject({
      code: 'GOOGLE_SERVICE_ACCOUNT_KEY_INVALID',
      action: 'admin',
      details: { field: 'private_key' },
    });
  });

  it('an unknown mailbox is an admin error naming it', async () => {
    const h = bind({ ...httpSettings('sa-key'), mailbox: 'nobody@contoso.test' });
    const error = await h.session
      .getCredential({ protocol: 'smtp' })
      .catch((e: unknown) => e as { code: string; hint: string });
    expect(error).toMatchObject({ code: 'GOOGLE_SERVICE_ACCOUNT_REJECTED', action: 'admin' });
    expect((error as { hint: string }).hint).toContain('nobody@contoso.test');
  });

  it('reaches an https token URL trusting the ca setting', async () => {
    const h = bind({
      ...httpSettings('sa-key'),
      tokenUrl: `${bed.emulator.urls.googleBase}/token`,
      // Settings text may not end in whitespace (the schema check admins get too); TLS reads the PEM either way.
      ca: bed.emulator.caCertPem.trimEnd(),
    });
    await expect(h.session.getCredential({ protocol: 'imap' })).resolves.toMatchObject({
      user: 'alice@contoso.test',
    });
  });

  it('signOut forgets the cached token and fires removed', async () => {
    const h = bind(httpSettings('sa-key'));
    const first = await oauthCredential(h.session);
    await h.session.signOut();
    expect(h.changes.at(-1)).toEqual({ type: 'removed', accountId: 'acct' });
    const next = await oauthCredential(h.session);
    expect(next.accessToken).not.toBe(first.accessToken);
  });
});
