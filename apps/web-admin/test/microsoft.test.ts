/**
 * Microsoft 365 in Chromium: per-user delegated sign-in through the emulator's consent page, a
 * mailbox that does not match the signed-in identity refused, device code, and the app-only
 * system email (token URL, client id, secret, scope, mailbox user; STARTTLS) with "expiring soon".
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Demo, startDemo } from '../src/demo.js';
import {
  checkScreen,
  consent,
  fillAppOnlySystemAccount,
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
const DAY = 24 * 60 * 60_000;

let demo: Demo;
let admin: TestBrowser;

beforeAll(async () => {
  demo = await startDemo({
    // Access tokens shorter than the early-refresh window: every check asks the token endpoint,
    // so an outage there shows at once.
    identity: { lifetimes: { accessToken: 240 } },
    users: [
      { id: 'alice', name: 'Alice Example', sendOnBehalfOfOrganization: true },
      { id: 'bob', name: 'Bob Example', sendOnBehalfOfOrganization: true },
    ],
  });
  admin = await openBrowser();
  await logIn(admin.page, demo);
});

afterAll(async () => {
  await admin?.close();
  await demo?.stop();
});

async function addDelegated(name: string, owner: 'alice' | 'bob', from: string, clientSecret?: string) {
  const { page } = admin;
  await page.goto(`${demo.app.url}/accounts/new`);
  await fillServer(page, {
    name,
    description: 'Account settings for Microsoft Outlook',
    port: demo.emulator.ports.smtp ?? 0,
    timeout: 120,
    security: 'starttls',
    fromAddress: from,
    scope: `user:${owner}`,
    provider: 'm365-delegated',
  });
  if (clientSecret) await page.fill(settingField('m365-delegated', 'clientSecret'), clientSecret);
  else {
    // A public client (no secret) for the device code flow.
    const publicClient = demo.emulator.apps.find((a) => a.public)?.clientId ?? '';
    await page.fill(settingField('m365-delegated', 'clientId'), publicClient);
  }
  await page.click('form.account-form button[type=submit]');
  await page.waitForURL(/\/accounts\/[a-z0-9-]+$/);
  expect(await flashText(page)).toContain(`Saved "${name}"`);
  return page.url();
}

describe('Microsoft 365', () => {
  it('delegated: per-user sign-in with Microsoft, Check Authorization, test email received', async () => {
    const url = await addDelegated(
      'Microsoft Outlook (Alice)',
      'alice',
      ALICE,
      demo.testSecrets.microsoftWeb,
    );
    const { page } = admin;
    expect(await textOf(page.locator('.badges .scope-user'))).toBe('User: Alice Example');
    await page.goto(`${url}/registration`);
    expect(await page.locator(settingField('m365-delegated', 'tenant')).inputValue()).not.toBe('');
    expect(await page.locator('#redirect-uri-m365-delegated').inputValue()).toBe(demo.app.redirectUri);
    await page.goto(url);
    await page.click('#sign-in');
    await page.waitForURL(/\/oauth2\/v2\.0\/authorize/);
    await checkScreen(page, 'microsoft-consent-emulator');
    await consent(page, ALICE);
    await page.waitForURL(url);
    expect(await flashText(page)).toContain(`Signed in as ${ALICE}`);
    await page.click('#check-authorization');
    expect(await textOf(page.locator('#auth-mailbox'))).toContain(ALICE);
    expect(await textOf(page.locator('#authorization'))).toContain('SMTP.Send');
    const { result } = await testConnection(page);
    expect(result).toBe('Test connection passed.');
    await page.fill('#test-to', BOB);
    await page.click('#send-test');
    expect(await flashText(page)).toContain(`Test email sent to ${BOB}`);
    expect(received(demo, BOB).map((m) => m.subject)).toContain(
      'Test email from Setup → Email (Microsoft Outlook (Alice))',
    );
  });

  it('shows a failed Test connection step with its hint (SMTP AUTH disabled for the mailbox)', async () => {
    const { page } = admin;
    await page.goto(`${demo.app.url}/accounts`);
    await page.click('text=Microsoft Outlook (Alice)');
    demo.emulator.mailServers?.script.smtpAuthDisabled(ALICE);
    const { result, steps } = await testConnection(page);
    expect(result).toContain('Test connection failed');
    const failed = await textOf(page.locator('#checklist li.failed'));
    expect(failed).toContain('✗');
    expect(failed).toContain('5.7.139');
    expect(failed).toMatch(/What to do: .*Authenticated SMTP/i);
    expect(steps.filter((s) => s.startsWith('✓')).length).toBeGreaterThan(0);
    await checkScreen(page, 'test-connection-failed');
    await page
      .locator('section', { has: page.locator('#test-h') })
      .screenshot({ path: join(RESULTS_DIR, 'test-connection-checklist.png') });
  });

  it('refuses a sign-in whose mailbox does not match the account, unless it accepts any mailbox', async () => {
    const url = await addDelegated('Microsoft Outlook (Bob)', 'bob', BOB, demo.testSecrets.microsoftWeb);
    const { page } = admin;
    await page.click('#sign-in');
    await consent(page, ALICE);
    await page.waitForURL(url);
    // Core's check (the mailer's session defaults expectedMailbox to the From address).
    const text = await flashText(page);
    expect(text).toContain(
      `The sign-in was for ${ALICE}, but this account sends as ${BOB}; nothing was saved.`,
    );
    expect(text).toContain(`Sign in again as ${BOB}`);
    expect(text).toContain('MAILBOX_MISMATCH');
    expect(await page.locator('#authorization [data-state]').getAttribute('data-state')).toBe(
      'signInRequired',
    );
    await checkScreen(page, 'mailbox-mismatch');

    // A shared mailbox or alias: the account accepts any signed-in mailbox.
    await page.goto(`${url}/edit`);
    await page.check('#acceptAnySignInMailbox');
    await page.click('form.account-form button[type=submit]');
    await page.waitForURL(url);
    const record = (await demo.app.host.config.read()).accounts.find(
      (r) => r.account.label === 'Microsoft Outlook (Bob)',
    );
    expect(record?.account.identity?.acceptAnySignInMailbox).toBe(true);
    await page.click('#sign-in');
    await consent(page, ALICE);
    await page.waitForURL(url);
    expect(await flashText(page)).toContain(`Signed in as ${ALICE}`);

    // Back to the default; the right mailbox is accepted.
    await page.goto(`${url}/edit`);
    expect(await page.locator('#acceptAnySignInMailbox').isChecked()).toBe(true);
    await page.uncheck('#acceptAnySignInMailbox');
    await page.click('form.account-form button[type=submit]');
    await page.waitForURL(url);
    await page.click('#sign-in');
    await consent(page, BOB);
    await page.waitForURL(url);
    expect(await flashText(page)).toContain(`Signed in as ${BOB}`);
  });

  it('signs in with a device code shown on the page', async () => {
    const url = await addDelegated('Microsoft Outlook (device code)', 'alice', ALICE);
    const { page } = admin;
    await page.click('#device-code-start');
    const code = await textOf(page.locator('#device-user-code'));
    const verification = await page.locator('#device-uri').getAttribute('href');
    expect(code).toMatch(/\w{4,}/);
    await checkScreen(page, 'device-code');
    const other = await admin.context.newPage();
    await other.goto(verification ?? '');
    await other.fill('input[name=user_code]', code);
    await other.check(`input[name=user][value="${ALICE}"]`);
    await other.click('#approve');
    await other.close();
    await page.waitForSelector('#device-code .ok-text', { timeout: 30_000 });
    expect(await textOf(page.locator('#device-code'))).toContain(`Signed in as ${ALICE}`);
    await page.goto(url);
    expect(await textOf(page.locator('#auth-mailbox'))).toContain(ALICE);
  });

  it('app-only system email: token URL, client id, secret, scope and mailbox user over STARTTLS', async () => {
    const { page } = admin;
    await fillAppOnlySystemAccount(page, demo, {
      name: 'System email',
      description: 'Notifications (password resets, alerts)',
      mailbox: ALICE,
    });
    const expires = new Date(Date.now() + 7 * DAY).toISOString().slice(0, 10);
    await page.fill(settingField('m365-app-only', 'secretExpiresOn'), expires);
    await page.click('form.account-form button[type=submit]');
    await page.waitForURL(/\/accounts\/system-email-/);
    expect(await page.locator('#sign-in').count()).toBe(0);
    await page.click('#check-authorization');
    expect(await flashText(page)).toContain(`Authorized as ${ALICE}`);
    expect(await textOf(page.locator('#authorization .badge'))).toBe(`Expiring soon (${expires})`);
    const { result } = await testConnection(page);
    expect(result).toBe('Test connection passed.');
    await page.fill('#test-to', BOB);
    await page.click('#send-test');
    expect(await flashText(page)).toContain(`Test email sent to ${BOB}`);
    expect(received(demo, BOB).map((m) => m.subject)).toContain(
      'Test email from Setup → Email (System email)',
    );
    await page.goto(`${demo.app.url}/accounts`);
    expect(await textOf(page.locator('tr', { hasText: 'System email' }).locator('.scope-system'))).toBe(
      'System',
    );
    expect(await textOf(page.locator('tr', { hasText: 'System email' }).locator('[data-state]'))).toContain(
      'Expiring soon',
    );
    await checkScreen(page, 'accounts-list-microsoft');
  });

  // Last in this file: msal remembers a 5xx from the token endpoint for a while.
  it('shows "Temporarily unavailable — try again later" while the token endpoint answers 503', async () => {
    const { page } = admin;
    const outage = demo.emulator.inject.microsoft({
      endpoint: 'token',
      status: 503,
      body: 'text',
      times: Number.POSITIVE_INFINITY,
    });
    try {
      await page.goto(`${demo.app.url}/accounts`);
      for (const name of ['System email', 'Microsoft Outlook (Alice)']) {
        const badge = page.locator('tr', { hasText: name }).locator('[data-state]');
        expect(await badge.getAttribute('data-state')).toBe('temporarilyUnavailable');
        expect(await textOf(badge)).toBe('Temporarily unavailable — try again later');
      }
      expect(outage.hits).toBeGreaterThan(0);
      await checkScreen(page, 'accounts-temporarily-unavailable');
    } finally {
      outage.remove();
    }
  });
});
