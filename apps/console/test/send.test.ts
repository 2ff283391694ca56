import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Emulator, startEmulator } from '@mailplug/emulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

let emulator: Emulator;
let dir: { path: string; remove(): Promise<void> };
const SENDER = 'alice@contoso.test';
const RECIPIENT = 'bob@contoso.test';

beforeAll(async () => {
  emulator = await startEmulator({ identity: { autoApprove: 'first-user' } });
  dir = await tempDir();
  const cli = (args: string[], stdin?: string) =>
    runCli(args, { configDir: dir.path, ...(stdin ? { stdin } : {}) });
  const server = [
    '--host',
    '127.0.0.1',
    '--port',
    String(emulator.ports.smtp),
    '--ca-file',
    emulator.caCertPath,
  ];
  const addBasicAccount = (id: string, password: string | undefined) =>
    cli(
      [
        ...['accounts', 'add', id, ...server, '--provider', 'basic'],
        ...['--setting', `username=${SENDER}`, '--password-stdin', '--from', SENDER],
      ],
      password,
    );
  const added = await addBasicAccount('office', emulator.settings.basic.secrets['emulator-basic-password']);
  expect(added.code, added.stderr).toBe(0);
  const wrong = await addBasicAccount('wrong', 'Wrong-Planted-Password-42');
  expect(wrong.code, wrong.stderr).toBe(0);
  expect((await cli(['users', 'add', 'alice'])).code).toBe(0);
  expect((await cli(['users', 'add', 'bob', '--deny'])).code).toBe(0);
});
afterAll(async () => {
  await emulator?.stop();
  await dir?.remove();
});

const cli = (args: string[]) => runCli(args, { configDir: dir.path });
/** `send office --as <user>` to bob. */
const sendAs = (actingUser: string, subject: string, text: string, ...extra: string[]) =>
  cli([
    'send',
    'office',
    '--as',
    actingUser,
    '--to',
    RECIPIENT,
    '--subject',
    subject,
    '--text',
    text,
    ...extra,
  ]);
const inbox = () => emulator.mail?.list(RECIPIENT) ?? [];

describe('send through the emulator SMTP with basic auth', () => {
  beforeEach(async () => {
    expect((await cli(['footer', 'set', '--clear'])).code).toBe(0);
  });

  it('sends as an allowed user; the server receives the message with the footer', async () => {
    expect((await cli(['footer', 'set', '--text', 'Example Practice · not monitored'])).code).toBe(0);
    const result = await sendAs('alice', 'Console test 1', 'Hello Bob');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`accepted: ${RECIPIENT}`);
    const message = inbox().find((m) => m.subject === 'Console test 1');
    expect(message).toBeDefined();
    const raw = Buffer.from(message?.raw ?? []).toString('utf8');
    expect(raw).toContain('Hello Bob');
    expect(raw).toMatch(/not monitored/);
    // The encrypted token store's key file was created on first use, readable by the owner only.
    expect((await stat(join(dir.path, 'token.key'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a denied user with exit code 3 and sends nothing', async () => {
    const before = inbox().length;
    const result = await sendAs('bob', 'Denied', 'x');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('SEND_PERMISSION_DENIED');
    expect(result.stderr).toContain('send on behalf of organization');
    expect(inbox().length).toBe(before);

    const unknown = await sendAs('mallory', 'Denied', 'x', '--json');
    expect(unknown.code).toBe(3);
    expect(JSON.parse(unknown.stdout).error).toMatchObject({ code: 'SEND_PERMISSION_DENIED' });
    expect(unknown.stderr).toContain('users add mallory');
    expect(inbox().length).toBe(before);
  });

  it('allow/deny flips the permission', async () => {
    expect((await cli(['users', 'allow', 'bob'])).code).toBe(0);
    const sent = await sendAs('bob', 'Bob allowed', 'x');
    expect(sent.code, sent.stderr).toBe(0);
    expect((await cli(['users', 'deny', 'bob'])).code).toBe(0);
    const list = JSON.parse((await cli(['users', 'list', '--json'])).stdout);
    expect(list.users).toContainEqual({ id: 'bob', sendOnBehalfOfOrganization: false });
    expect((await sendAs('bob', 'x', 'x')).code).toBe(3);
  });

  it('asks who is sending from an organization account', async () => {
    const result = await cli(['send', 'office', '--to', RECIPIENT, '--subject', 'x', '--text', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--as <user>');
  });

  it('test renders the staged probe as a checklist', async () => {
    const ok = await cli(['test', 'office']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/✓ Authenticate\s+\d+ ms/);
    expect(ok.stdout).toContain('✓ Connection works.');

    const bad = await cli(['test', 'wrong', '--json']);
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout);
    expect(report.ok).toBe(false);
    const failed = report.steps.find((s: { status: string }) => s.status === 'failed');
    expect(failed.id).toBe('auth');
    expect(failed.error.hint).toBeTruthy();
    expect(bad.stdout + bad.stderr).not.toContain('Wrong-Planted-Password-42');
  });

  it('check reports the mailbox for a password account', async () => {
    const result = await cli(['check', 'office']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`mailbox:  ${SENDER}`);
  });
});

describe('footer limits', () => {
  it('accepts 500 plain-text characters and refuses 501 without changing the config', async () => {
    expect((await cli(['footer', 'set', '--text', 'a'.repeat(500)])).code).toBe(0);
    const before = await readFile(join(dir.path, 'config.json'));
    const result = await cli(['footer', 'set', '--text', 'a'.repeat(501)]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('FOOTER_TOO_LONG');
    expect(result.stderr).toContain('at most 500 characters (it has 501)');
    expect(await readFile(join(dir.path, 'config.json'))).toEqual(before);
  });

  it('accepts 2,000 HTML characters and refuses 2,001', async () => {
    const html = (n: number) => `<p>${'b'.repeat(n - 7)}</p>`;
    expect((await cli(['footer', 'set', '--html', html(2000)])).code).toBe(0);
    const result = await cli(['footer', 'set', '--html', html(2001)]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('at most 2000 characters (it has 2001)');
  });
});
