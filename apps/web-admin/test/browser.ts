/**
 * Real Chromium (Debian's /usr/bin/chromium) driven by playwright-core, one fresh profile per
 * browser, plus the checks every screen gets: axe-core in the page (no serious or critical
 * violations) and a screenshot under test-results/.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Demo } from '../src/demo.js';

export const CHROMIUM = process.env.MAILPLUG_CHROMIUM ?? '/usr/bin/chromium';
export const RESULTS_DIR = fileURLToPath(new URL('../test-results/', import.meta.url));

/** The rendered text of an element (Playwright's Locator, not a DOM node). */
export function textOf(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: a Playwright Locator, whose innerText is what the admin sees
  return locator.innerText();
}

export interface TestBrowser {
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

/** Fails loudly (never skips) when Chromium is missing. */
export function assertChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}; the web admin browser tests cannot run. ` +
        'Install it as root: apt-get update && apt-get install -y chromium (or: bash tooling/scripts/install-system-deps.sh).',
    );
  }
}

export async function openBrowser(): Promise<TestBrowser> {
  assertChromium();
  const profile = await mkdtemp(join(tmpdir(), 'mailplug-web-admin-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    // The emulator's Microsoft pages are https with a per-run local CA.
    ignoreHTTPSErrors: true,
    viewport: { width: 1100, height: 900 },
  });
  context.setDefaultTimeout(20_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export async function logIn(page: Page, demo: Demo): Promise<void> {
  await page.goto(`${demo.app.url}/accounts`);
  await page.waitForURL(/\/login\?next=/);
  await page.fill('#token', demo.app.adminToken);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/accounts$/);
}

let axeSource: string | undefined;

/** axe-core in the page: no serious or critical violations. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  axeSource ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol, which the page's strict CSP does not apply to.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run: (
            ctx: unknown,
            o: unknown,
          ) => Promise<{
            violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
          }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `accessibility violations on ${screen}`).toEqual([]);
}

/** Screenshot under test-results/<name>.png, after the axe check. */
export async function checkScreen(page: Page, name: string): Promise<void> {
  await expectAccessible(page, name);
  await mkdir(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: join(RESULTS_DIR, `${name}.png`), fullPage: true });
}

/** The flash message shown after a post (first one on the page). */
export async function flashText(page: Page): Promise<string> {
  return (await textOf(page.locator('.flash').first())).replace(/\s+/g, ' ');
}

export interface ServerFields {
  name: string;
  description?: string;
  host?: string;
  port?: number;
  security?: 'starttls' | 'tls' | 'none';
  timeout?: number;
  fromAddress?: string;
  displayName?: string;
  scope?: string;
  provider: string;
}

/** Fills the general part of the add/edit form like an admin would. */
export async function fillServer(page: Page, fields: ServerFields): Promise<void> {
  await page.fill('#name', fields.name);
  if (fields.description !== undefined) await page.fill('#description', fields.description);
  if (fields.host !== undefined) await page.fill('#host', fields.host);
  if (fields.security) await page.selectOption('#security', fields.security);
  if (fields.port !== undefined) await page.fill('#port', String(fields.port));
  if (fields.timeout !== undefined) await page.fill('#timeout', String(fields.timeout));
  if (fields.fromAddress !== undefined) await page.fill('#fromAddress', fields.fromAddress);
  if (fields.displayName !== undefined) await page.fill('#displayName', fields.displayName);
  if (fields.scope) await page.selectOption('#scope', fields.scope);
  await page.selectOption('#provider', fields.provider);
}

/** Settings field of a provider in the generated form. */
export const settingField = (provider: string, key: string) =>
  `#f-${provider}-${key}`.replace(/[^#A-Za-z0-9_-]/g, '-');

/**
 * A Microsoft 365 app-only system account as an admin enters it against the demo's tenant: the
 * server part, then token URL, the daemon app's secret, the Exchange scope and the mailbox user.
 * The form is left open (not submitted).
 */
export async function fillAppOnlySystemAccount(
  page: Page,
  demo: Demo,
  fields: { name: string; description: string; mailbox: string },
): Promise<void> {
  await page.goto(`${demo.app.url}/accounts/new`);
  await fillServer(page, {
    name: fields.name,
    description: fields.description,
    port: demo.emulator.ports.smtp ?? 0,
    security: 'starttls',
    fromAddress: fields.mailbox,
    scope: 'system',
    provider: 'm365-app-only',
  });
  const tenant = await page.locator(settingField('m365-app-only', 'tenant')).inputValue();
  await page.fill(
    settingField('m365-app-only', 'tokenUrl'),
    `${demo.emulator.urls.https}/${tenant}/oauth2/v2.0/token`,
  );
  await page.fill(settingField('m365-app-only', 'clientSecret'), demo.testSecrets.microsoftDaemon);
  await page.fill(settingField('m365-app-only', 'scope'), 'https://outlook.office.com/.default');
  await page.fill(settingField('m365-app-only', 'mailbox'), fields.mailbox);
}

/** Picks a test user on the emulator's consent page and presses Accept (or Cancel). */
export async function consent(
  page: Page,
  email: string,
  decision: 'approve' | 'deny' = 'approve',
): Promise<void> {
  await page.waitForSelector('#approve');
  await page.check(`input[name=user][value="${email}"]`);
  await page.click(decision === 'approve' ? '#approve' : '#deny');
}

export async function accountIdFromUrl(page: Page): Promise<string> {
  const match = /\/accounts\/([^/?#]+)/.exec(page.url());
  if (!match?.[1]) throw new Error(`Not on an account page: ${page.url()}`);
  return match[1];
}

/** Runs Test connection and waits for the streamed checklist to finish. */
export async function testConnection(page: Page): Promise<{ result: string; steps: string[] }> {
  await page.click('#test-connection');
  await page.waitForSelector('#test-result.ok, #test-result.failed', { timeout: 60_000 });
  return {
    result: await textOf(page.locator('#test-result')),
    steps: await page.locator('#checklist li').allInnerTexts(),
  };
}

/** Plain bodies of what the emulator's SMTP server delivered to `mailbox`. */
export function received(demo: Demo, mailbox: string): { subject: string; raw: string }[] {
  return (demo.emulator.mail?.list(mailbox) ?? []).map((m) => ({
    subject: m.subject,
    raw: m.raw.toString('utf8'),
  }));
}
