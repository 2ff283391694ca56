/**
 * The admin surface itself: login with the printed token, CSRF on every form, a strict CSP,
 * the deprecated POP3 incoming account, export without secrets and an all-or-nothing import.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Demo, startDemo } from '../src/demo.js';
import {
  checkScreen,
  fillServer,
  flashText,
  logIn,
  openBrowser,
  settingField,
  type TestBrowser,
  testConnection,
  textOf,
} from './browser.js';

const ALICE = 'alice@contoso.test';

let demo: Demo;
let admin: TestBrowser;

beforeAll(async () => {
  demo = await startDemo({
    users: [{ id: 'alice', name: 'Alice Example', sendOnBehalfOfOrganization: true }],
  });
  admin = await openBrowser();
});

afterAll(async () => {
  await admin?.close();
  await demo?.stop();
});

describe('admin surface', () => {
  it('asks for the admin token, sets a SameSite session cookie and a strict CSP', async () => {
    const { page, context } = admin;
    const response = await page.goto(`${demo.app.url}/accounts`);
    expect(new URL(page.url()).pathname).toBe('/login');
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    await page.fill('#token', 'not-the-token');
    await page.click('button[type=submit]');
    expect(await textOf(page.locator('#token-issue'))).toContain('not the admin token');
    await checkScreen(page, 'login');
    await logIn(page, demo);
    const cookie = (await context.cookies()).find((c) => c.name === 'mailplug_admin');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Lax');
    expect(await page.locator('.empty').count()).toBe(1);
    await checkScreen(page, 'accounts-empty');
  });

  it('refuses a form post without the CSRF token', async () => {
    const response = await admin.context.request.post(`${demo.app.url}/users`, {
      form: { id: 'mallory', name: 'Mallory' },
      maxRedirects: 0,
    });
    expect(response.status()).toBe(403);
    expect(await response.text()).toContain('CSRF');
    const users = (await demo.app.host.config.read()).users.map((u) => u.id);
    expect(users).not.toContain('mallory');
  });

  it('offers the fallback routes the registry lists, pre-filled, with the issue next to the field', async () => {
    const { page } = admin;
    await page.goto(`${demo.app.url}/accounts/new`);
    const offered = await page
      .locator('#fallbackProtocol option:not([disabled])')
      .evaluateAll((options) => options.map((o) => o.textContent));
    expect(offered).toEqual(['None', 'Microsoft Graph (sendMail)', 'Gmail API (messages.send)']);
    expect(await page.locator('#fallback-server').isHidden()).toBe(true);
    await fillServer(page, {
      name: 'Office (password, Graph fallback)',
      fromAddress: ALICE,
      scope: 'user:alice',
      provider: 'basic',
    });
    await page.selectOption('#fallbackProtocol', 'graph');
    expect(await page.locator('#fallback-server').isVisible()).toBe(true);
    // The demo's stand-in for graph.microsoft.com.
    expect(await page.locator('#fallbackHost').inputValue()).toBe('127.0.0.1');
    expect(Number(await page.locator('#fallbackPort').inputValue())).toBeGreaterThan(0);
    expect(await page.locator('#fallbackSecurity').inputValue()).toBe('tls');
    await page.fill(settingField('basic', 'username'), ALICE);
    await page.fill(settingField('basic', 'password'), 'alice-password');
    await page.click('form.account-form button[type=submit]');
    // Core validates the fallback as the account it becomes: a password cannot sign in to Graph.
    const issue = page.locator('#fallbackProtocol-issue');
    await expect.poll(() => textOf(issue)).toContain('cannot sign in to Microsoft Graph (sendMail)');
    expect(await textOf(issue)).toContain('Choose a sign-in method that supports graph');
    expect(await page.locator('#fallbackProtocol').inputValue()).toBe('graph');
    await checkScreen(page, 'account-form-fallback');
  });

  it('adds a deprecated POP3 incoming account, marked with the recommendation, and tests it', async () => {
    const { page } = admin;
    await page.goto(`${demo.app.url}/incoming`);
    const notice = await textOf(page.locator('.deprecated'));
    expect(notice).toContain('Receiving email is deprecated');
    expect(notice).toContain('POP3');
    expect(notice).toContain('no-reply address');
    await page.click('text=Add incoming mail server');
    await page.selectOption('#protocol', 'pop3');
    await fillServer(page, {
      name: 'Practice inbox (POP3)',
      security: 'tls',
      port: demo.emulator.ports.pop3s ?? 0,
      scope: 'user:alice',
      provider: 'basic',
    });
    expect(await page.locator('#fromAddress').count()).toBe(0);
    await page.fill(settingField('basic', 'username'), ALICE);
    await page.fill(settingField('basic', 'password'), 'alice-password');
    await checkScreen(page, 'incoming-form');
    await page.click('form.account-form button[type=submit]');
    await page.waitForURL(/\/accounts\/practice-inbox-pop3-/);
    expect(await textOf(page.locator('.badges'))).toContain('Deprecated');
    const { result, steps } = await testConnection(page);
    expect(result).toBe('Test connection passed.');
    expect(steps.join('\n')).toMatch(/✓/);
    await page.goto(`${demo.app.url}/incoming`);
    expect(await textOf(page.locator('table.accounts'))).toContain('Practice inbox (POP3)');
    await checkScreen(page, 'incoming');
  });

  it('exports without secrets and imports all-or-nothing', async () => {
    const { page, context } = admin;
    const exported = await context.request.get(`${demo.app.url}/export.json`);
    const text = await exported.text();
    expect(text).not.toContain('alice-password');
    const file = JSON.parse(text) as {
      accounts: {
        account: {
          id: string;
          label: string;
          auth: { settings: Record<string, unknown> };
          server: { port: number };
        };
      }[];
    };
    const [pop] = file.accounts;
    expect(pop?.account.auth.settings.password).toEqual({ secretRef: `${pop?.account.id}.password` });

    await page.goto(`${demo.app.url}/transfer`);
    await checkScreen(page, 'export-import');
    const broken = structuredClone(file);
    if (broken.accounts[0]) broken.accounts[0].account.server.port = 70000;
    await page.fill('#import-json', JSON.stringify(broken));
    await page.click('#import');
    const issues = await flashText(page);
    expect(issues).toContain('Nothing was imported');
    expect(issues).toContain('server.port');
    expect(issues).toContain('The port must be a whole number from 1 to 65535');

    const copy = structuredClone(file);
    if (copy.accounts[0]) {
      copy.accounts[0].account.id = 'imported-pop3';
      copy.accounts[0].account.label = 'Imported inbox';
    }
    await page.fill('#import-json', JSON.stringify(copy));
    await page.click('#import');
    expect(await flashText(page)).toContain('Imported 1 account');
    const ids = (await demo.app.host.config.read()).accounts.map((r) => r.account.id);
    expect(ids).toContain('imported-pop3');
  });
});
