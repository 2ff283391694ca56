/**
 * The practice (organization) account with "Sign in with Google", walked in Chromium through the
 * emulator's consent page: the mail server record, the client registration, Authorize, Check
 * Authorization, the live Test connection checklist, a test email read back from the mail store;
 * then denied consent, a revoked grant, a login-CSRF attempt and a user denied "send on behalf".
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Demo, startDemo } from '../src/demo.js';
import {
  checkScreen,
  consent,
  fillServer,
  flashText,
  logIn,
  openBrowser,
  RESULTS_DIR,
  received,
  settingField,
  type TestBrowser,
  testConnection,
  textOf,
} from './browser.js';

const ALICE = 'alice@contoso.test';
const BOB = 'bob@contoso.test';

let demo: Demo;
let admin: TestBrowser;
let accountUrl: string;

beforeAll(async () => {
  // Access tokens shorter than the early-refresh window: every check goes to the token endpoint,
  // so a revoked grant shows at once.
  demo = await startDemo({ identity: { lifetimes: { accessToken: 240 } } });
  admin = await openBrowser();
  await logIn(admin.page, demo);
});

afterAll(async () => {
  await admin?.close();
  await demo?.stop();
});

describe('practice account with Google sign-in', () => {
  it('adds users with "send on behalf of organization" allowed by default, and denies one', async () => {
    const { page } = admin;
    await page.goto(`${demo.app.url}/users`);
    for (const [id, name] of [
      ['alice', 'Alice Example'],
      ['bob', 'Bob Example'],
    ]) {
      await page.fill('#user-id', id ?? '');
      await page.fill('#user-name', name ?? '');
      await page.click('form.inline-form button[type=submit]');
      expect(await flashText(page)).toContain('send on behalf of organization: Allow');
    }
    await page.selectOption('#perm-bob', 'deny');
    await page.locator('tr[data-user="bob"] button', { hasText: 'Save' }).click();
    expect(await flashText(page)).toContain('bob: send email on behalf of organization — Deny access');
    expect(await page.locator('#perm-alice').inputValue()).toBe('allow');
    expect(await page.locator('#perm-bob').inputValue()).toBe('deny');
    await checkScreen(page, 'users');
  });

  it('refuses an incomplete form with each issue next to its field and its fix', async () => {
    const { page } = admin;
    await page.goto(`${demo.app.url}/accounts/new`);
    await fillServer(page, { name: 'Gmail', host: 'smtp://smtp.gmail.com', provider: 'gmail-oauth' });
    await page.fill(settingField('gmail-oauth', 'clientId'), '');
    await page.click('form.account-form button[type=submit]');
    const hostIssue = page.locator('#host-issue');
    await expect.poll(() => textOf(hostIssue)).toContain('is not a host name');
    expect(await textOf(hostIssue)).toContain('without "smtp://"');
    expect(await page.locator('#host').getAttribute('aria-invalid')).toBe('true');
    expect(await textOf(page.locator('#fromAddress-issue'))).toContain('Enter a full address');
    const clientIdIssue = page.locator(`${settingField('gmail-oauth', 'clientId')}-issue`);
    expect(await textOf(clientIdIssue)).toContain('Client ID is required');
    expect(await textOf(clientIdIssue)).toContain('Google Cloud console');
    await checkScreen(page, 'account-form-issues');
  });

  it('saves the mail server record with the OAuth client registration (secret write-only)', async () => {
    const { page } = admin;
    await page.goto(`${demo.app.url}/accounts/new`);
    await checkScreen(page, 'account-form');
    // The Gmail settings form comes from the manifest: the adapter has not been loaded.
    expect(demo.app.host.registry.describeAuthProvider('gmail-oauth')?.activated).toBe(false);
    await fillServer(page, {
      name: 'Gmail',
      description: 'Account settings for Gmail',
      port: demo.emulator.ports.smtp ?? 0,
      timeout: 120,
      security: 'starttls',
      fromAddress: ALICE,
      displayName: 'Contoso Practice',
      scope: 'organization',
      provider: 'gmail-oauth',
    });
    expect(await page.locator('#redirect-uri-gmail-oauth').inputValue()).toBe(demo.app.redirectUri);
    await page.fill(
      settingField('gmail-oauth', 'clientId'),
      '000000000001-emulator.apps.googleusercontent.com',
    );
    await page.fill(settingField('gmail-oauth', 'clientSecret'), demo.testSecrets.google);
    await page.click('form.account-form button[type=submit]');
    await page.waitForURL(/\/accounts\/gmail-/);
    accountUrl = page.url();
    expect(await flashText(page)).toContain('Saved "Gmail"');
    // The account key is created with the account (its tokens live under it).
    const saved = (await demo.app.host.config.read()).accounts.find((r) => r.account.label === 'Gmail');
    expect(saved?.account.key).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(await page.locator('[data-state]').first().getAttribute('data-state')).toBe('signInRequired');

    // The secret is never rendered back, only that one is stored.
    await page.goto(`${accountUrl}/registration`);
    const secret = page.locator(settingField('gmail-oauth', 'clientSecret'));
    expect(await secret.inputValue()).toBe('');
    expect(await secret.getAttribute('placeholder')).toContain('stored');
    expect(await page.content()).not.toContain(demo.testSecrets.google);
    expect(await page.locator('#redirect-uri-gmail-oauth').inputValue()).toBe(demo.app.redirectUri);
    await checkScreen(page, 'oauth-client-registration');
    await page.click('#registration-save');
    expect(await flashText(page)).toContain('OAuth client registration saved');
  });

  it('signs in with Google through the consent page; Check Authorization shows the mailbox', async () => {
    const { page } = admin;
    await page.goto(accountUrl);
    await page.click('#sign-in');
    await page.waitForURL(/\/google\/o\/oauth2\/v2\/auth/);
    await checkScreen(page, 'google-consent-emulator');
    await consent(page, ALICE);
    await page.waitForURL(accountUrl);
    expect(await flashText(page)).toContain(`Signed in as ${ALICE}`);
    await page.click('#check-authorization');
    expect(await flashText(page)).toContain(`Authorized as ${ALICE}`);
    expect(await textOf(page.locator('#auth-mailbox'))).toContain(ALICE);
    expect(await textOf(page.locator('#authorization'))).toContain('https://mail.google.com/');
    await checkScreen(page, 'account-authorized');
  });

  it('runs Test connection as a live checklist and sends a test email that arrives with the footer', async () => {
    const { page } = admin;
    await page.goto(`${demo.app.url}/footer`);
    const plain = 'Contoso Practice · This email address is not monitored.';
    await page.fill('#footer-text', plain);
    expect(await textOf(page.locator('#footer-text-count'))).toBe(`${plain.length} / 500 characters`);
    expect(await textOf(page.locator('#footer-text-preview'))).toContain('not monitored');
    await page.fill('#footer-html', '<p><b>Contoso Practice</b> — please call 07 0000 0000.</p>');
    expect(await textOf(page.locator('#footer-html-count'))).toContain('/ 2000 characters');
    const srcdoc = await page.locator('#footer-html-preview').getAttribute('srcdoc');
    expect(srcdoc).toContain('<b>Contoso Practice</b>');
    expect(await textOf(page.frameLocator('#footer-html-preview').locator('b'))).toBe('Contoso Practice');
    await checkScreen(page, 'footer');
    await page.click('#footer-save');
    expect(await flashText(page)).toContain('Footer saved');

    await page.goto(accountUrl);
    const { result, steps } = await testConnection(page);
    expect(result).toBe('Test connection passed.');
    expect(steps.length).toBeGreaterThanOrEqual(4);
    expect(steps.join('\n')).toMatch(/✓ .*TLS/i);
    expect(steps.join('\n')).toMatch(/✓ .*auth/i);
    await checkScreen(page, 'test-connection');

    await page.fill('#test-to', BOB);
    await page.selectOption('#test-as', 'alice');
    await page.click('#send-test');
    expect(await flashText(page)).toContain(`Test email sent to ${BOB}`);
    expect(await flashText(page)).toContain('Delivered via SMTP');
    const mail = received(demo, BOB);
    expect(mail.map((m) => m.subject)).toContain('Test email from Setup → Email (Gmail)');
    expect(mail.at(-1)?.raw).toContain('This email address is not monitored.');
    expect(mail.at(-1)?.raw).toMatch(/^From: "?Contoso Practice"? <alice@contoso\.test>/m);
  });

  it('refuses a user denied "send on behalf of organization" with the message', async () => {
    const { page } = admin;
    const before = received(demo, BOB).length;
    await page.goto(accountUrl);
    await page.fill('#test-to', BOB);
    await page.selectOption('#test-as', 'bob');
    await page.click('#send-test');
    const text = await flashText(page);
    expect(text).toContain('The test email was not sent');
    expect(text).toContain('User "bob" may not send from the organization account');
    expect(text).toContain('"send on behalf of organization" permission');
    expect(text).toContain('SEND_PERMISSION_DENIED');
    expect(received(demo, BOB).length).toBe(before);
  });

  it('refuses a login-CSRF callback carried by another browser session, and redeems nothing', async () => {
    // The attacker: another browser with its own web session completes a consent for bob, but
    // instead of following the redirect, keeps the callback URL and lures the admin to it.
    const attacker = await openBrowser();
    try {
      await logIn(attacker.page, demo);
      let stolen: string | undefined;
      // Submit the consent form without following its redirect: keep the callback URL instead.
      await attacker.page.route('**/consent', async (route) => {
        const response = await route.fetch({ maxRedirects: 0 });
        stolen = response.headers().location;
        await route.abort();
      });
      await attacker.page.goto(accountUrl);
      await attacker.page.click('#sign-in');
      await consent(attacker.page, BOB);
      await expect.poll(() => stolen).toBeDefined();

      // Core's binding check: the state was started by the attacker's web session, not this one.
      const response = await admin.page.goto(stolen ?? '');
      expect(response?.status()).toBe(403);
      const text = await flashText(admin.page);
      expect(text).toContain('not started from this browser session');
      expect(text).toContain('SIGN_IN_BINDING_MISMATCH');
      await checkScreen(admin.page, 'sign-in-refused');
      // Still alice, and the attacker's code was never redeemed. The refusal did not burn the
      // state (a stray callback cannot cancel a real sign-in): a replay is refused the same way.
      await admin.page.goto(accountUrl);
      expect(await textOf(admin.page.locator('#auth-mailbox'))).toContain(ALICE);
      expect((await admin.page.goto(stolen ?? ''))?.status()).toBe(403);
      expect(await flashText(admin.page)).toContain('SIGN_IN_BINDING_MISMATCH');
      // A state no sign-in of this app started is refused before any provider sees it.
      const bogus = await admin.page.goto(`${demo.app.url}/oauth/callback?state=made-up&code=x`);
      expect(bogus?.status()).toBe(400);
      expect(await flashText(admin.page)).toContain('SIGN_IN_UNKNOWN');
      expect(demo.emulator.events.list({ kind: 'grant', user: BOB })).toEqual([]);
    } finally {
      await attacker.close();
    }
  });

  it('reports denied consent with its hint', async () => {
    const { page } = admin;
    await page.goto(accountUrl);
    await page.click('#sign-in');
    await consent(page, ALICE, 'deny');
    await page.waitForURL(accountUrl);
    const text = await flashText(page);
    expect(text).toContain('The sign-in did not complete');
    expect(text).toMatch(/denied|declined|cancel/i);
    expect(text).toContain('What to do:');
    // The earlier grant is untouched.
    expect(await textOf(page.locator('#auth-mailbox'))).toContain(ALICE);
  });

  it('shows "Re-authorization required" once the grant is revoked, on the account and in the list', async () => {
    const { page } = admin;
    expect(demo.emulator.identity.expireRefreshTokens(ALICE)).toBeGreaterThan(0);
    await page.goto(accountUrl);
    await page.click('#check-authorization');
    const text = await flashText(page);
    expect(text).toContain('Not authorized: reauthRequired');
    expect(await page.locator('#authorization [data-state]').getAttribute('data-state')).toBe(
      'reauthRequired',
    );
    expect(await textOf(page.locator('#authorization'))).toContain('Re-authorization required');
    await page.goto(`${demo.app.url}/accounts`);
    expect(await textOf(page.locator('tr[data-account] .badge[data-state]').first())).toBe(
      'Re-authorization required',
    );
    expect(await textOf(page.locator('tr[data-account] .scope-organization'))).toBe('Organization');
    await checkScreen(page, 'accounts-list');
  });

  it('holds test emails while the account needs a new sign-in; the sign-in releases and delivers them', async () => {
    const { page } = admin;
    const before = received(demo, BOB).length;
    const sendTest = async () => {
      await page.goto(accountUrl);
      await page.fill('#test-to', BOB);
      await page.selectOption('#test-as', 'alice');
      await page.click('#send-test');
      return flashText(page);
    };
    const held = await sendTest();
    expect(held).toContain('held in the outbox: sign in again to release it');
    expect(held).toContain('REAUTH_REQUIRED');
    expect(held).toMatch(/What to do: .*sign in/i);
    expect(await textOf(page.locator('#account-outbox'))).toContain('1 message waits for a new sign-in');
    expect(await sendTest()).toContain('held in the outbox');

    await page.goto(`${demo.app.url}/outbox`);
    const heldRows = page.locator('#outbox-held tr[data-message]');
    expect(await heldRows.count()).toBe(2);
    expect(await textOf(heldRows.first())).toMatch(/What to do: .*sign in/i);
    expect(await textOf(heldRows.first())).toContain('Sign in again to release');
    const summary = page.locator('table.outbox-accounts tr', { hasText: 'Gmail' });
    expect(await textOf(summary.locator('[data-count="held"]'))).toBe('2');
    expect(await textOf(summary)).toContain('Held since');
    expect(await textOf(summary)).toContain('Oldest held message');
    await checkScreen(page, 'outbox-held');
    await page.screenshot({ path: join(RESULTS_DIR, 'outbox-held-viewport.png') });

    // Cancel the second one (a CSRF-protected POST).
    await heldRows.nth(1).locator('button', { hasText: 'Cancel' }).click();
    expect(await flashText(page)).toContain('cancelled');
    expect(await page.locator('#outbox-cancelled tr[data-message]').count()).toBe(1);

    // Signing in again releases the held one, and the worker delivers it.
    await page.goto(accountUrl);
    await page.click('#sign-in');
    await consent(page, ALICE);
    await page.waitForURL(accountUrl);
    expect(await flashText(page)).toContain(`Signed in as ${ALICE}`);
    await expect.poll(() => received(demo, BOB).length, { timeout: 30_000 }).toBe(before + 1);
    await page.goto(`${demo.app.url}/outbox`);
    expect(await page.locator('#outbox-held').count()).toBe(0);
    const sent = page.locator('#outbox-sent tr[data-message]').last();
    expect(await textOf(sent)).toContain('Test email from Setup → Email (Gmail)');
    expect(await textOf(sent)).toContain('via SMTP');

    // Retry sends the cancelled one.
    await page.locator('#outbox-cancelled button', { hasText: 'Retry' }).click();
    expect(await flashText(page)).toContain('queued again');
    await expect.poll(() => received(demo, BOB).length, { timeout: 30_000 }).toBe(before + 2);
    await page.goto(`${demo.app.url}/outbox`);
    expect(await page.locator('#outbox-cancelled').count()).toBe(0);
    await checkScreen(page, 'outbox');
  });

  it("switches the account's sign-in method between Standard, Google and Office 365", async () => {
    const { page } = admin;
    await page.goto(`${accountUrl}/edit`);
    // Standard (password): the Google fields go away, the password form appears.
    await page.selectOption('#provider', 'basic');
    expect(await page.locator('fieldset[data-provider="gmail-oauth"]').isHidden()).toBe(true);
    await page.fill(settingField('basic', 'username'), ALICE);
    await page.fill(settingField('basic', 'password'), 'alice-password');
    await page.click('form.account-form button[type=submit]');
    await page.waitForURL(accountUrl);
    expect(await textOf(page.locator('.facts').first())).toContain('Password (basic authentication)');
    expect(await page.locator('#authorization [data-state]').getAttribute('data-state')).toBe('authorized');
    expect(await page.locator('#sign-in').count()).toBe(0);

    // Office 365 (OAuth 2.0): tenant, client id and secret, then a sign-in is needed.
    await page.goto(`${accountUrl}/edit`);
    await page.selectOption('#provider', 'm365-delegated');
    await page.fill(settingField('m365-delegated', 'clientSecret'), demo.testSecrets.microsoftWeb);
    await page.click('form.account-form button[type=submit]');
    await page.waitForURL(accountUrl);
    expect(await textOf(page.locator('#sign-in'))).toBe('Sign in with Microsoft');
    expect(await page.locator('#authorization [data-state]').getAttribute('data-state')).toBe(
      'signInRequired',
    );

    // Back to Google (OAuth 2.0): the earlier Google grant is not inherited.
    await page.goto(`${accountUrl}/edit`);
    await page.selectOption('#provider', 'gmail-oauth');
    await page.fill(settingField('gmail-oauth', 'clientSecret'), demo.testSecrets.google);
    await page.click('form.account-form button[type=submit]');
    await page.waitForURL(accountUrl);
    expect(await textOf(page.locator('#sign-in'))).toBe('Sign in with Google');
    expect(await page.locator('#authorization [data-state]').getAttribute('data-state')).toBe(
      'signInRequired',
    );
  });
});
