/**
 * The demo's outbox part: a message queued for a Gmail account nobody has signed in to yet is
 * held by the worker with the sign-in hint, and goes out after the sign-in — each state printed by
 * the real commands (`send --queue`, `worker --until-idle`, `outbox list/show`, `sign-in`).
 */
import type { DemoRunner, Emulator } from './demo-runner.js';
import { addAccountArgs } from './demo-support.js';

/**
 * `accounts add <id>` for a Gmail account on the emulator (Google endpoints over its loopback
 * http listener; SMTP with STARTTLS trusting the emulator's CA). The client secret comes from the
 * environment variable `secretEnv`.
 */
export function gmailAccountArgs(
  emulator: Emulator,
  id: string,
  flags: Record<string, string>,
  secretEnv: string,
): string[] {
  const google = `${emulator.urls.http}/google`;
  return addAccountArgs(
    id,
    {
      host: '127.0.0.1',
      port: String(emulator.ports.smtp),
      security: 'starttls',
      'ca-file': emulator.caCertPath,
      provider: 'gmail-oauth',
      ...flags,
    },
    {
      clientId: String(emulator.settings['gmail-oauth'].settings.clientId),
      redirectUri: 'http://127.0.0.1/callback',
      ...(flags.from ? { mailbox: flags.from } : {}),
      authUrl: `${google}/o/oauth2/v2/auth`,
      tokenUrl: `${google}/token`,
      revokeUrl: `${google}/revoke`,
      tokenInfoUrl: `${google}/tokeninfo`,
      userInfoUrl: `${google}/v1/userinfo`,
      certsUrl: `${google}/oauth2/v3/certs`,
    },
    { clientSecret: secretEnv },
  );
}

export const OUTBOX_DEMO_SUBJECT = 'Demo 6: queued until sign-in';

/** Part 6; `runner.header` has been called. */
export async function runOutboxPart(
  runner: DemoRunner,
  options: { emulator: Emulator; sender: string; recipient: string; browser: boolean; secretEnv: string },
): Promise<void> {
  const { emulator, sender, recipient } = options;
  const account = 'gmail-reminders';
  const added = await runner.step(
    'Add a Gmail account nobody has signed in to yet',
    gmailAccountArgs(emulator, account, { from: sender, scope: 'user', owner: 'alice' }, options.secretEnv),
  );
  if (!added) return;
  let id = '';
  const queued = await runner.step(
    'Queue a reminder (stored at once; nothing is sent yet)',
    [
      ...['send', account, '--as', 'alice', '--queue', '--to', recipient],
      ...['--subject', OUTBOX_DEMO_SUBJECT, '--text', 'Your appointment is tomorrow at 9:00.'],
    ],
    {
      verify: (output) => {
        id = /Queued (\S+) \(queued\)/.exec(output)?.[1] ?? '';
        return id ? undefined : 'no "Queued <id> (queued)" line';
      },
    },
  );
  if (!queued) return;
  const state = (want: string) => (output: string) =>
    new RegExp(`${id}\\s+${account}\\s+${want}\\b`).test(output) ? undefined : `the message is not ${want}`;
  await runner.step('State: queued', ['outbox', 'list', '--account', account], { verify: state('queued') });
  await runner.step(
    'Run the worker until idle: the account needs a sign-in, so it holds',
    ['worker', '--until-idle'],
    {
      verify: (output) =>
        output.includes('SIGN_IN_REQUIRED') ? undefined : 'no SIGN_IN_REQUIRED hold reported',
    },
  );
  await runner.step('State: held, with the sign-in hint', ['outbox', 'list', '--account', account], {
    verify: state('held'),
  });
  const signedIn = await runner.step(
    options.browser
      ? 'Sign in with Google (open the printed URL)'
      : 'Sign in with Google (releases the hold)',
    ['sign-in', account, '--timeout', options.browser ? '600' : '60'],
    {
      verify: (output) =>
        output.includes('Released 1 held message') ? undefined : 'the hold was not released',
    },
  );
  if (!signedIn) return;
  await runner.step('Run the worker until idle: delivered', ['worker', '--until-idle'], {
    verify: (output) =>
      /Worker stopped \(idle\): 1 sent/.test(output) ? undefined : 'the message was not sent',
  });
  await runner.step('State: sent — its history shows the hold, then the delivery', ['outbox', 'show', id], {
    verify: (output) =>
      /held\s+SIGN_IN_REQUIRED[\s\S]*\n\s+\S+\s+sent\b/.test(output)
        ? undefined
        : 'history is not held → sent',
  });
  runner.received(OUTBOX_DEMO_SUBJECT);
}
