import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

let home: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  home = await tempDir('mailplug-console-home-');
});
afterAll(() => home.remove());

it('demo runs every part end to end, exits 0 and prints what the servers received', async () => {
  // Point the user's config locations at an empty directory to prove the demo never writes there.
  const result = await runCli(['demo'], {
    env: { HOME: home.path, XDG_CONFIG_HOME: join(home.path, 'xdg'), MAILPLUG_CONFIG_DIR: '' },
  });
  expect(result.code, result.stdout.slice(-3000) + result.stderr).toBe(0);
  for (const part of [
    '1. Password',
    '2. Gmail',
    '3. Microsoft 365 delegated',
    '4. Microsoft 365 app-only',
    '5a. Receive over POP3',
    '5b. Receive over IMAP',
    '6. Outbox',
    '7. Microsoft Graph fallback',
    '8. Gmail API',
  ]) {
    expect(result.stdout).toContain(part);
  }
  expect(result.stdout).toContain('Subject: Demo 1: password account');
  expect(result.stdout).toContain('| Hello from the Mailplug console (basic auth).');
  expect(result.stdout).toMatch(/Demo 4: Microsoft 365 app-only/);
  // The outbox part prints each state of the queued reminder: queued → held (sign-in) → sent.
  const outbox = result.stdout.slice(result.stdout.indexOf('6. Outbox'));
  const id = /Queued (\S+) \(queued\)/.exec(outbox)?.[1] ?? 'missing';
  const states = [...outbox.matchAll(new RegExp(`${id}\\s+gmail-reminders\\s+(\\w+)`, 'g'))].map((m) => m[1]);
  expect(states).toEqual(['queued', 'held']);
  expect(outbox).toContain('! gmail-reminders: holding its messages — SIGN_IN_REQUIRED');
  expect(outbox).toContain('Released 1 held message');
  expect(outbox).toContain(`✓ ${id}: sent`);
  expect(outbox).toMatch(/held\s+SIGN_IN_REQUIRED[^\n]*\n\s+\S+\s+sent/);
  expect(outbox).toContain('Subject: Demo 6: queued until sign-in');
  // SMTP AUTH off for the tenant: the probe names the Graph route, and the message goes over Graph.
  const graph = result.stdout.slice(result.stdout.indexOf('7. Microsoft Graph fallback'));
  expect(graph).toContain('SMTP is switched off for this mailbox; sending through Microsoft Graph');
  expect(graph).toMatch(/Sent <[^>]+> — accepted: bob@contoso\.test\n\s+route: graph\n/);
  expect(graph).toContain('Subject: Demo 7: Microsoft Graph fallback');
  // A Gmail account on gmail-api alone: the sign-in asks for gmail.send only, the send uses the API.
  const gmailApi = result.stdout.slice(result.stdout.indexOf('8. Gmail API'));
  expect(gmailApi).toMatch(/scope=https%3A%2F%2Fwww\.googleapis\.com%2Fauth%2Fgmail\.send%20openid%20email&/);
  expect(gmailApi).toContain('Sends with https://www.googleapis.com/auth/gmail.send');
  expect(gmailApi).toMatch(/route: gmail-api\n/);
  expect(gmailApi).toContain('Subject: Demo 8: Gmail API');
  expect(result.stdout).toMatch(/✓ \d+ passed, 0 failed, 0 skipped/);
  expect(existsSync(join(home.path, 'xdg', 'mailplug'))).toBe(false);
  expect(existsSync(join(home.path, '.config', 'mailplug'))).toBe(false);
}, 120_000);
