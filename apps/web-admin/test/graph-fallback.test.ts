/**
 * Microsoft 365 in Chromium, a tenant where SMTP AUTH is off: an app-only service mailbox (SMTP 587
 * STARTTLS first) with the Microsoft Graph fallback chosen in the form. Test connection says SMTP
 * is switched off and Graph works; Send test email is delivered through Graph's sendMail (checked at
 * the emulator, not only on the page); with the fallback set to None the same send fails with a hint
 * that names both fixes.
 */
import type { FallbackUsed } from '@mailplug/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Demo, startDemo } from '../src/demo.js';
import {
  accountIdFromUrl,
  checkScreen,
  fillAppOnlySystemAccount,
  flashText,
  logIn,
  openBrowser,
  type TestBrowser,
  testConnection,
  textOf,
} from './browser.js';

/** The service mailbox the app sends as (a user of the emulated tenant). */
const SERVICE = 'notifications@contoso.test';
const BOB = 'bob@contoso.test';
const NAME = 'Practice notifications';
const SUBJECT = `Test email from Setup → Email (${NAME})`;
const GRAPH = 'Microsoft Graph (sendMail)';

let demo: Demo;
let admin: TestBrowser;
let accountUrl: string;

beforeAll(async () => {
  demo = await startDemo({
    identity: {
      users: [
        { email: 'alice@contoso.test', displayName: 'Alice Example', password: 'alice-password' },
        { email: BOB, displayName: 'Bob Example', password: 'bob-password' },
        { email: SERVICE, displayName: 'Practice notifications', password: 'notifications-password' },
      ],
    },
  });
  admin = await openBrowser();
  await logIn(admin.page, demo);
});

afterAll(async () => {
  await admin?.close();
  await demo?.stop();
});

/** What the emulator's Graph sendMail accepted for the service mailbox. */
function graphSends() {
  return demo.emulator.events.list({ kind: 'api-send', flavour: 'microsoft', user: SERVICE });
}

/** POSTs that reached the emulator's Graph sendMail endpoint for the service mailbox. */
function graphRequests() {
  return demo.emulator.requests.filter(
    (r) =>
      r.method === 'POST' &&
      decodeURIComponent(r.path).toLowerCase() === `/graph/v1.0/users/${SERVICE}/sendmail`,
  );
}

/** The demo's daemon app (application permissions, client secret). */
function daemonClientId(): string | undefined {
  return demo.emulator.apps.find((a) => a.applicationPermissions.length > 0)?.clientId;
}

function subjects(mailbox: string, folder?: string): string[] {
  return demo.emulator.mail.list(mailbox, folder).map((m) => m.subject);
}

function smtpAuth(enabled: boolean): void {
  const servers = demo.emulator.mailServers;
  if (!servers) throw new Error('The emulator runs without mail servers.');
  servers.smtpAuth.setEnabled({ mailbox: SERVICE }, enabled);
}

async function sendTest(to: string): Promise<string> {
  const { page } = admin;
  await page.goto(accountUrl);
  await page.fill('#test-to', to);
  await page.click('#send-test');
  await page.waitForURL(accountUrl);
  return flashText(page);
}

describe('Microsoft 365 app-only with the Graph fallback, SMTP AUTH off', () => {
  it('creates the service mailbox account (SMTP 587 STARTTLS) with the Microsoft Graph fallback', async () => {
    const { page } = admin;
    await fillAppOnlySystemAccount(page, demo, {
      name: NAME,
      description: 'Password resets and alerts',
      mailbox: SERVICE,
    });
    await page.selectOption('#fallbackProtocol', 'graph');
    expect(await page.locator('#fallback-server').isVisible()).toBe(true);
    await page.click('form.account-form button[type=submit]');
    await page.waitForURL(/\/accounts\/practice-notifications-/);
    expect(await flashText(page)).toContain(`Saved "${NAME}"`);
    accountUrl = page.url();
    expect(await textOf(page.locator('#fallback-route'))).toContain(GRAPH);

    const id = await accountIdFromUrl(page);
    const record = (await demo.app.host.config.read()).accounts.find((r) => r.account.id === id);
    expect(record?.account.protocol).toBe('smtp');
    expect(record?.account.server.security).toBe('starttls');
    expect(record?.account.fallback?.protocol).toBe('graph');

    // SMTP AUTH still on: SMTP delivers, Graph stands by.
    const { result } = await testConnection(page);
    expect(result).toBe('Test connection passed.');
    expect(await textOf(page.locator('#test-summary'))).toContain(
      `SMTP works; ${GRAPH} is ready as the fallback.`,
    );
  });

  it('Test connection with SMTP AUTH off for the mailbox: SMTP switched off, Graph works', async () => {
    const { page } = admin;
    smtpAuth(false);
    await page.goto(accountUrl);
    const { result } = await testConnection(page);
    expect(result).toBe('Test connection passed.');
    const smtp = page.locator('#routes .route[data-route="smtp"]');
    const graph = page.locator('#routes .route[data-route="graph"]');
    expect(await textOf(smtp.locator('h3'))).toBe('SMTP — switched off for this mailbox');
    expect(await smtp.getAttribute('class')).toContain('closed');
    expect(await textOf(smtp.locator('li.failed'))).toContain('5.7.139');
    expect(await textOf(graph.locator('h3'))).toBe(`${GRAPH} — works`);
    expect(await graph.locator('li.failed').count()).toBe(0);
    const summary = await textOf(page.locator('#test-summary'));
    expect(summary).toContain(`SMTP is switched off for this mailbox; sending through ${GRAPH}.`);
    expect(summary).toContain('To use it again: Enable Authenticated SMTP');
    await checkScreen(page, 'test-connection-graph-fallback');
  });

  it('Send test email is delivered via Microsoft Graph, and Graph sendMail really received it', async () => {
    const sendsBefore = graphSends().length;
    const requestsBefore = graphRequests().length;
    expect(subjects(BOB)).not.toContain(SUBJECT);

    const fallbacks: FallbackUsed[] = [];
    const subscription = (await demo.app.host.mailer()).onDidUseFallback((event) => fallbacks.push(event));
    let text: string;
    try {
      text = await sendTest(BOB);
    } finally {
      subscription.dispose();
    }
    expect(text).toContain(`Test email sent to ${BOB}.`);
    expect(text).toContain(`Delivered via ${GRAPH}`);
    // Core's mailer moved the send: SMTP was refused as closed (5.7.139), Graph delivered.
    expect(fallbacks.map((e) => [e.from, e.to, e.reason.code])).toEqual([
      ['smtp', 'graph', 'M365_SMTP_AUTH_DISABLED'],
    ]);

    // At the emulator: one more message accepted by Graph sendMail for the service mailbox, by the
    // daemon app, and the message in Bob's inbox and in the mailbox's Sent Items (Graph keeps a
    // copy there; an SMTP submission does not).
    const sends = graphSends();
    expect(sends.length).toBe(sendsBefore + 1);
    expect(sends.at(-1)?.clientId).toBe(daemonClientId());
    expect(sends.at(-1)?.detail).toBe('Graph sendMail: 1 recipient');
    expect(graphRequests().length).toBe(requestsBefore + 1);
    expect(subjects(BOB)).toContain(SUBJECT);
    expect(subjects(SERVICE, 'Sent')).toContain(SUBJECT);
    await checkScreen(admin.page, 'send-test-graph-fallback');

    // The Outbox screen names the route too.
    await admin.page.goto(`${demo.app.url}/outbox`);
    const sent = admin.page
      .locator('li, tr', { hasText: SUBJECT })
      .filter({ has: admin.page.locator('.route') });
    expect(await textOf(sent.locator('.route').first())).toBe(GRAPH);
  });

  it('control: with the fallback set to None the send fails, naming both fixes; SMTP AUTH on again delivers', async () => {
    const { page } = admin;
    await page.goto(`${accountUrl}/edit`);
    expect(await page.locator('#fallbackProtocol').inputValue()).toBe('graph');
    await page.selectOption('#fallbackProtocol', '');
    // Secrets are never sent back to the browser; an unchanged secret stays stored.
    await page.click('form.account-form button[type=submit]');
    await page.waitForURL(accountUrl);
    expect(await page.locator('#fallback-route').count()).toBe(0);
    const id = await accountIdFromUrl(page);
    const record = (await demo.app.host.config.read()).accounts.find((r) => r.account.id === id);
    expect(record?.account.fallback).toBeUndefined();

    const sendsBefore = graphSends().length;
    const inboxBefore = subjects(BOB).length;
    const text = await sendTest(BOB);
    expect(text).toContain('The test email was not sent.');
    expect(text).toContain('5.7.139');
    const hint = await textOf(page.locator('.flash .hint').first());
    // Both fixes: SMTP AUTH on for the mailbox, or the Graph fallback route.
    expect(hint).toContain(
      `Enable Authenticated SMTP: Microsoft 365 admin center → Users → Active users → ${SERVICE}`,
    );
    expect(hint).toContain(`Or keep sending while it is off: give the account the fallback route ${GRAPH}`);
    expect(graphSends().length).toBe(sendsBefore);
    expect(subjects(BOB).length).toBe(inboxBefore);
    await checkScreen(page, 'send-test-smtp-auth-off');

    // The first fix: SMTP AUTH on again for the mailbox, and SMTP delivers.
    smtpAuth(true);
    const again = await sendTest(BOB);
    expect(again).toContain(`Test email sent to ${BOB}.`);
    expect(again).toContain('Delivered via SMTP');
    expect(graphSends().length).toBe(sendsBefore);
    expect(subjects(BOB).length).toBe(inboxBefore + 1);
  });
});
