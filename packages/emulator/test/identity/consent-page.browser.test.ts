/**
 * The sign-in and consent page as a person uses it: real Chromium (Debian's) driven by
 * playwright-core, clicking through the emulator's page and landing on a loopback redirect URI
 * served by core's helper; the code is then redeemed with the real google-auth-library.
 */
import { existsSync } from 'node:fs';
import { startLoopbackRedirect } from '@mailplug/core';
import type { OAuth2Client } from 'google-auth-library';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IDS, type Emulator, GOOGLE_MAIL_SCOPE, startEmulator } from '../../src/index.js';
import { emulatorGoogleClient, pkceAuthUrl } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
let emulator: Emulator;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install it with apt-get install chromium`);
  }
  emulator = await startEmulator({ identity: { autoApprove: false } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await emulator?.stop();
});

const googleClient = (redirectUri: string) => emulatorGoogleClient(emulator, redirectUri);
const authUrl = (oauth: OAuth2Client) =>
  pkceAuthUrl(oauth, {
    access_type: 'offline',
    prompt: 'consent',
    scope: [GOOGLE_MAIL_SCOPE, 'openid', 'email'],
    state: 'browser-state',
  });

describe('consent page in Chromium', () => {
  it('a person picks a test user, sees the scopes, approves, and the app gets that mailbox', async () => {
    const loopback = await startLoopbackRedirect();
    const oauth = googleClient(loopback.redirectUri);
    const { url, verifier } = await authUrl(oauth);
    const context = await browser.newContext({ ignoreHTTPSErrors: false });
    // The browser trusts nothing but its own store; it reaches the emulator over plain loopback HTTP.
    const page = await context.newPage();
    await page.goto(url.replace(emulator.urls.https, emulator.urls.http));
    await expect(page.locator('h1').textContent()).resolves.toContain('Sign in to');
    await expect(page.locator('code', { hasText: GOOGLE_MAIL_SCOPE }).count()).resolves.toBe(1);
    const second = emulator.users[1];
    expect(second).toBeDefined();
    await page.check(`input[name="user"][value="${second?.email}"]`);
    await page.click('#approve');
    const params = await loopback.waitForCallback();
    await expect(page.locator('body').textContent()).resolves.toContain('You can close this window');
    await loopback.close();
    await context.close();

    expect(params.state).toBe('browser-state');
    const { tokens } = await oauth.getToken({ code: params.code ?? '', codeVerifier: verifier });
    expect(tokens.scope?.split(' ')).toContain(GOOGLE_MAIL_SCOPE);
    const info = await oauth.getTokenInfo(tokens.access_token ?? '');
    expect(info.email).toBe(second?.email);
  });

  it('denying consent comes back to the app as error=access_denied, with no code', async () => {
    const loopback = await startLoopbackRedirect();
    const oauth = googleClient(loopback.redirectUri);
    const page = await browser.newPage();
    await page.goto((await authUrl(oauth)).url.replace(emulator.urls.https, emulator.urls.http));
    await page.click('#deny');
    const params = await loopback.waitForCallback();
    expect(params.error).toBe('access_denied');
    expect(params.code).toBeUndefined();
    await loopback.close();
    await page.close();
  });

  it('the emulator home page lists received messages and identity events without secrets', async () => {
    const page = await browser.newPage();
    await page.goto(emulator.urls.web.replace(emulator.urls.https, emulator.urls.http));
    const text = (await page.locator('body').textContent()) ?? '';
    expect(text).toMatch(/sign-in/i);
    expect(text).not.toContain(DEFAULT_IDS.googleClientSecret);
    await page.close();
  });
});
