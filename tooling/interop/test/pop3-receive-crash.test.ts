import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPop3Protocol } from '@mailplug/protocol-pop3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DovecotInstance, startDovecot } from '../src/index.js';

// core's processNewMessages, driven through the real POP3 client against real Dovecot, in a child
// process that is SIGKILLed mid-run: every message must reach the handler's output exactly once.
const USER = 'loader@example.test';
const PASSWORD = 'loader-pass-77';
const MESSAGES = 30;
const LOADER = fileURLToPath(new URL('./fixtures/pop3-loader.mjs', import.meta.url));

let dovecot: DovecotInstance;
let workDir: string;

beforeAll(async () => {
  dovecot = await startDovecot({ users: { [USER]: PASSWORD } });
  workDir = await mkdtemp(join(tmpdir(), 'mailplug-loader-'));
});
afterAll(async () => {
  await dovecot?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

function outputLines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

function runLoader(config: object): {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: string | null; stderr: string }>;
} {
  const child = spawn(process.execPath, [LOADER], {
    env: { ...process.env, LOADER_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, exit };
}

async function waitForLines(path: string, atLeast: number, exit: Promise<unknown>): Promise<boolean> {
  let exited = false;
  void exit.then(() => {
    exited = true;
  });
  while (!exited) {
    if (outputLines(path).length >= atLeast) return true;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return false;
}

describe('processNewMessages survives SIGKILL mid-run (POP3 + Dovecot)', () => {
  it('hands every message to the handler exactly once across killed and complete runs', async () => {
    for (let i = 1; i <= MESSAGES; i += 1) {
      await dovecot.deliver(USER, `From: a@example.test\r\nSubject: crash-test ${i}\r\n\r\nmessage ${i}\r\n`);
    }
    const pop3 = createPop3Protocol({ silenceDeprecation: true });
    const server = {
      host: '127.0.0.1',
      port: dovecot.ports.pop3s,
      security: 'tls' as const,
      tls: { ca: dovecot.ca },
    };
    const creds = {
      getCredential: async () => ({ kind: 'password' as const, user: USER, password: PASSWORD }),
    };
    const before = await pop3.connect(server, creds);
    const allIds = (await before.list()).map((m) => m.id);
    await before.close();
    expect(allIds).toHaveLength(MESSAGES);

    const outPath = join(workDir, 'imported.txt');
    const config = {
      port: dovecot.ports.pop3s,
      ca: dovecot.ca,
      storePath: join(workDir, 'tokens.json'),
      outPath,
      accountId: 'acct-1',
      user: USER,
      password: PASSWORD,
    };

    // Kill at staggered points so that kills land before, during and after handler calls.
    let kills = 0;
    for (const target of [4, 9, 15, 22]) {
      const { child, exit } = runLoader(config);
      if (await waitForLines(outPath, target, exit)) {
        child.kill('SIGKILL');
        const { signal } = await exit;
        if (signal === 'SIGKILL') kills += 1;
      } else {
        const result = await exit;
        throw new Error(`loader exited before it was killed: ${result.code} ${result.stderr}`);
      }
    }
    expect(kills).toBe(4);
    expect(outputLines(outPath).length).toBeLessThan(MESSAGES);

    const final = runLoader(config);
    const result = await final.exit;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);

    const imported = outputLines(outPath);
    expect(new Set(imported).size).toBe(imported.length); // no duplicates
    expect([...imported].sort()).toEqual([...allIds].sort()); // none missing

    const after = await pop3.connect(server, creds);
    expect(await after.list()).toEqual([]); // deleteAfter committed by the final QUIT
    await after.close();
    const cursor = () => JSON.parse(readFileSync(config.storePath, 'utf8'))['acct-1:receive-cursor'];
    // Deleted ids stay recorded until a later run sees them gone: a POP3 DELE is only final after QUIT.
    expect([...cursor().processed].sort()).toEqual([...allIds].sort());
    expect((await runLoader(config).exit).code).toBe(0);
    expect(cursor()).toEqual({ version: 1, processed: [], inFlight: null });
    expect(outputLines(outPath)).toHaveLength(MESSAGES);
  });
});
