/**
 * The outbox commands as an admin runs them — `send --queue`, `worker`, `outbox list|show|retry|
 * release|cancel`, and `sign-in` releasing a hold — each a child process on one configuration
 * directory, against the emulator's SMTP server and Google endpoints.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '@mailplug/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gmailAccountArgs } from '../src/commands/demo-outbox.js';
import { followSignInHeadless } from '../src/commands/demo-support.js';
import { runCli, startCli, tempDir } from './helpers.js';

const SENDER = 'alice@contoso.test';
const RECIPIENT = 'bob@contoso.test';
let emulator: Emulator;
let dir: { path: string; remove(): Promise<void> };
let env: NodeJS.ProcessEnv;
let password: string;

const cli = (args: string[], stdin?: string) =>
  runCli(args, { configDir: dir.path, env, ...(stdin !== undefined ? { stdin } : {}) });

beforeAll(async () => {
  emulator = await startEmulator({ identity: { autoApprove: 'first-user' } });
  dir = await tempDir();
  env = {
    TEST_GOOGLE_CLIENT_SECRET: emulator.settings['gmail-oauth'].secrets['emulator-google-client-secret'],
  };
  password = emulator.settings.basic.secrets['emulator-basic-password'] ?? '';
  const basic = (id: string, secret: string) =>
    cli(
      [
        ...['accounts', 'add', id, '--host', '127.0.0.1', '--port', String(emulator.ports.smtp)],
        ...['--ca-file', emulator.caCertPath, '--provider', 'basic', '--setting', `username=${SENDER}`],
        ...['--password-stdin', '--from', SENDER],
      ],
      secret,
    );
  for (const result of [
    await basic('office', password),
    await basic('wrong', 'Wrong-Planted-Password-42'),
    await cli(
      gmailAccountArgs(
        emulator,
        'gmail-later',
        { from: SENDER, scope: 'user', owner: 'alice' },
        'TEST_GOOGLE_CLIENT_SECRET',
      ),
    ),
    await cli(['users', 'add', 'alice']),
    await cli(['users', 'add', 'bob', '--deny']),
  ]) {
    expect(result.code, result.stderr).toBe(0);
  }
});
afterAll(async () => {
  await emulator?.stop();
  await dir?.remove();
});

const inbox = () => emulator.mail?.list(RECIPIENT) ?? [];
const received = (subject: string) => inbox().filter((m) => m.subject === subject);
const headerOf = (raw: Uint8Array, name: string) =>
  new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(Buffer.from(raw).toString('utf8'))?.[1]?.trim();

/** `send <account> --queue` as `as`; returns the parsed JSON result. */
async function queue(account: string, subject: string, as = 'alice') {
  const result = await cli([
    ...['send', account, '--as', as, '--queue', '--to', RECIPIENT],
    ...['--subject', subject, '--text', `Body of ${subject}.`, '--json'],
  ]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { id: string; messageId: string; state: string; queued: boolean };
}

async function show(id: string) {
  const result = await cli(['outbox', 'show', id, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout).message as {
    state: string;
    messageId: string;
    history: { outcome: string; code?: string }[];
  };
}

async function workUntilIdle() {
  const result = await cli(['worker', '--until-idle']);
  expect(result.code, result.stderr).toBe(0);
  return result;
}

async function eventually(predicate: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('send --queue', () => {
  it('stores the message without sending it, in a private outbox.db beside the token store', async () => {
    const queued = await queue('office', 'Queued 1');
    expect(queued).toMatchObject({ queued: true, state: 'queued' });
    expect(queued.messageId).toMatch(/^<[0-9a-f-]{36}@contoso\.test>$/);
    expect(received('Queued 1')).toEqual([]);

    const human = await cli(['outbox', 'list']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`${queued.id}\\s+office\\s+queued\\s+0\\s+Queued 1\\s+due now`));
    const files = (await readdir(dir.path)).filter((f) => f.startsWith('outbox.db'));
    expect(files).toContain('outbox.db');
    for (const file of files) expect((await stat(join(dir.path, file))).mode & 0o777, file).toBe(0o600);
  });

  it('refuses at once what could never be sent, and stores nothing', async () => {
    const before = JSON.parse((await cli(['outbox', 'list', '--json'])).stdout).messages.length;
    const denied = await cli([
      'send',
      'office',
      '--as',
      'bob',
      '--queue',
      '--to',
      RECIPIENT,
      '--subject',
      'x',
      '--text',
      'x',
    ]);
    expect(denied.code).toBe(3);
    expect(denied.stderr).toContain('SEND_PERMISSION_DENIED');
    expect(denied.stderr).toContain('send on behalf of organization');
    const stranger = await cli([
      'send',
      'office',
      '--as',
      'mallory',
      '--queue',
      '--to',
      RECIPIENT,
      '--subject',
      'x',
      '--text',
      'x',
    ]);
    expect(stranger.code).toBe(3);
    expect(stranger.stderr).toContain('users add mallory');
    const after = JSON.parse((await cli(['outbox', 'list', '--json'])).stdout).messages.length;
    expect(after).toBe(before);
  });
});

describe('worker --until-idle and outbox show', () => {
  it('delivers what is due with the Message-ID given at enqueue, then stops', async () => {
    const [queued] = JSON.parse(
      (await cli(['outbox', 'list', '--state', 'queued', '--json'])).stdout,
    ).messages;
    const result = await workUntilIdle();
    expect(result.stdout).toMatch(
      /Worker stopped \(idle\): 1 sent, 0 deferred, 0 held, 0 failed; 0 waiting\./,
    );
    expect(result.stderr).toMatch(/worker: 1 sent · 0 deferred · 0 held · 0 failed · 0 waiting/);
    expect(result.stdout).toMatch(/Keep-alive: not applicable: office, wrong, gmail-later/);
    const [message] = received('Queued 1');
    expect(message && headerOf(message.raw, 'Message-ID')).toBe(queued.messageId);

    const status = await show(queued.id);
    expect(status.state).toBe('sent');
    expect(status.history.map((h) => h.outcome)).toEqual(['sent']);
    const human = await cli(['outbox', 'show', queued.id]);
    expect(human.stdout).toContain(`✓ ${queued.id}: sent`);
    expect(human.stdout).toContain(`Message-ID:  ${queued.messageId}`);
    expect(human.stdout).toMatch(/server:\s+250 /);
  });

  it('an unknown id is refused with the hint to list the outbox', async () => {
    const result = await cli(['outbox', 'show', 'no-such-id']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('OUTBOX_MESSAGE_UNKNOWN');
    expect(result.stderr).toContain('outbox list');
  });
});

describe('outbox cancel and retry', () => {
  it('a cancelled message is not sent; retry revives it; a sent one cannot be cancelled', async () => {
    const queued = await queue('office', 'Cancelled then retried');
    const cancelled = await cli(['outbox', 'cancel', queued.id]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`Cancelled ${queued.id}`);
    await workUntilIdle();
    expect(received('Cancelled then retried')).toEqual([]);
    expect((await show(queued.id)).state).toBe('cancelled');

    const retried = await cli(['outbox', 'retry', queued.id]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain('queued again');
    await workUntilIdle();
    expect(received('Cancelled then retried')).toHaveLength(1);

    const again = await cli(['outbox', 'cancel', queued.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('OUTBOX_ALREADY_SENT');
    expect(again.stderr).toContain('Enqueue a new message');
  });
});

describe('holds', () => {
  it('a rejected password holds the account; after the fix, outbox release lets the messages go', async () => {
    const first = await queue('wrong', 'Held 1');
    await queue('wrong', 'Held 2');
    const held = await workUntilIdle();
    expect(held.stdout).toContain('! wrong: holding its messages');
    expect(held.stdout).toMatch(/Worker stopped \(idle\): 0 sent, 0 deferred, 1 held/);
    const list = await cli(['outbox', 'list', '--account', 'wrong']);
    expect(list.stdout).toMatch(/!\s+\S+\s+wrong\s+held\s+1\s+Held 1/);
    expect(list.stdout).toMatch(/!\s+\S+\s+wrong\s+held\s+0\s+Held 2/);
    expect(list.stdout).toContain('! wrong: 2 messages held since');
    expect(list.stdout).toContain('outbox release wrong');
    expect((await show(first.id)).history).toEqual([expect.objectContaining({ outcome: 'held' })]);
    expect(received('Held 1')).toEqual([]);
    expect(held.stdout + list.stdout).not.toContain('Wrong-Planted-Password-42');

    const fixed = await cli(['accounts', 'edit', 'wrong', '--password-stdin'], password);
    expect(fixed.code, fixed.stderr).toBe(0);
    const released = await cli(['outbox', 'release', 'wrong']);
    expect(released.code, released.stderr).toBe(0);
    expect(released.stdout).toContain('Released 2 held messages of wrong');
    const delivered = await workUntilIdle();
    expect(delivered.stdout).toMatch(/Worker stopped \(idle\): 2 sent/);
    expect(
      inbox()
        .map((m) => m.subject)
        .filter((s) => s.startsWith('Held')),
    ).toEqual(['Held 1', 'Held 2']);

    const unknown = await cli(['outbox', 'release', 'nobody']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('ACCOUNT_NOT_FOUND');
  });

  it('sign-in releases a hold for sign-in (SIGN_IN_REQUIRED); the next worker run delivers', async () => {
    const queued = await queue('gmail-later', 'Waits for sign-in');
    const held = await workUntilIdle();
    expect(held.stdout).toContain('! gmail-later: holding its messages — SIGN_IN_REQUIRED');
    expect(held.stdout).toContain('hint: ');
    expect((await show(queued.id)).state).toBe('held');

    let followed: Promise<void> | undefined;
    const signIn = await runCli(['sign-in', 'gmail-later', '--timeout', '30'], {
      configDir: dir.path,
      env,
      onStdout: (soFar) => {
        const url = /(http\S+\/o\/oauth2\/v2\/auth\S*)/.exec(soFar)?.[1];
        if (url && !followed) followed = followSignInHeadless(url, emulator.caCertPem);
      },
    });
    await followed;
    expect(signIn.code, signIn.stderr).toBe(0);
    expect(signIn.stdout).toContain('Released 1 held message;');
    expect((await show(queued.id)).state).toBe('queued');

    const delivered = await workUntilIdle();
    expect(delivered.stdout).toMatch(/Worker stopped \(idle\): 1 sent/);
    expect(delivered.stdout).toMatch(/Keep-alive: .*kept alive: gmail-later/);
    expect(received('Waits for sign-in')).toHaveLength(1);
    expect((await show(queued.id)).history.map((h) => [h.outcome, h.code])).toEqual([
      ['held', 'SIGN_IN_REQUIRED'],
      ['sent', undefined],
    ]);
  });
});

describe('worker in the foreground', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'delivers messages queued while it runs and stops cleanly on %s',
    async (signal) => {
      const worker = startCli(['worker', '--json'], { configDir: dir.path, env });
      await eventually(() => worker.output().stderr.includes('worker: '), 'the worker to start');
      const subject = `While running (${signal})`;
      await queue('office', subject);
      await eventually(() => received(subject).length === 1, 'the delivery');
      worker.child.kill(signal);
      const result = await worker.result;
      expect(result.signal).toBeNull();
      expect(result.code, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout);
      expect(summary).toMatchObject({ ok: true, stoppedBy: signal, sent: 1, failed: 0 });
      expect(summary.keepAlive.accounts).toContainEqual({
        accountId: 'office',
        providerId: 'basic',
        outcome: 'notApplicable',
      });
      expect(result.stderr).toContain('Ctrl+C (SIGINT) or SIGTERM stops');
    },
  );

  it('refuses a concurrency that is not a positive whole number', async () => {
    const result = await cli(['worker', '--concurrency', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--concurrency takes a whole number above 0');
  });
});
