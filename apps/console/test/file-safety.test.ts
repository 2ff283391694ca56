import { existsSync } from 'node:fs';
import { chmod, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEncryptedCodec } from '@mailplug/core';
import { startEmulator } from '@mailplug/emulator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appOnlyAccount, runCli, tempDir } from './helpers.js';

const PLANTED = 'Planted-S3cret-4411-do-not-echo';
let dir: { path: string; remove(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.remove());

const cli = (args: string[], stdin?: string) =>
  runCli(args, { configDir: dir.path, ...(stdin !== undefined ? { stdin } : {}) });
const addArgs = (id: string) => [
  ...['accounts', 'add', id, '--host', 'smtp.example.com', '--provider', 'basic'],
  ...['--setting', `username=${id}@example.com`, '--password-stdin', '--from', `${id}@example.com`],
];
const file = (name: string) => join(dir.path, name);

describe('concurrent consoles', () => {
  it('8 concurrent "accounts add" keep every account and every secret', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `office${i}`);
    const results = await Promise.all(ids.map((id) => cli(addArgs(id), `${PLANTED}-${id}`)));
    for (const result of results) expect(result.code, result.stderr).toBe(0);
    const listed = JSON.parse((await cli(['accounts', 'list', '--json'])).stdout);
    expect(listed.accounts.map((a: { id: string }) => a.id).sort()).toEqual(ids);
    const { secrets } = JSON.parse(await readFile(file('secrets.json'), 'utf8'));
    for (const id of ids) expect(secrets[`${id}-password`]).toBe(`${PLANTED}-${id}`);
    // Nothing left behind: no lock files, no temp files.
    expect((await readdir(dir.path)).sort()).toEqual(['config.json', 'secrets.json']);
  }, 120_000);
});

describe('files other users could read or swap are refused', () => {
  it('a group/world-readable secrets.json, naming the file and the chmod fix', async () => {
    expect((await cli(addArgs('office'), PLANTED)).code).toBe(0);
    await chmod(file('secrets.json'), 0o644);
    const result = await cli(['accounts', 'show', 'office']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('FILE_PERMISSIONS_UNSAFE');
    expect(result.stderr).toContain(
      `${file('secrets.json')} holds secrets but is open to other users (mode 644)`,
    );
    expect(result.stderr).toContain(`chmod 600 ${file('secrets.json')}`);
    expect(result.stderr).not.toContain(PLANTED);
  });

  it('a group-readable token key', async () => {
    expect((await cli(addArgs('office'), PLANTED)).code).toBe(0);
    await writeFile(file('token.key'), `${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o640 });
    await chmod(file('token.key'), 0o640);
    const result = await cli(['sign-out', 'office']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(
      `${file('token.key')} holds secrets but is open to other users (mode 640)`,
    );
    expect(result.stderr).toContain(`chmod 600 ${file('token.key')}`);
  });

  it('a configuration directory anyone may write to', async () => {
    expect((await cli(addArgs('office'), PLANTED)).code).toBe(0);
    await chmod(dir.path, 0o777);
    const result = await cli(['accounts', 'list']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`${dir.path} is writable by other users (mode 777)`);
    expect(result.stderr).toContain(`chmod 700 ${dir.path}`);
    await chmod(dir.path, 0o700);
    expect((await cli(['accounts', 'list'])).code).toBe(0);
  });
});

describe('damaged files', () => {
  it('a malformed secrets.json is reported by path, never by content', async () => {
    expect((await cli(addArgs('office'), PLANTED)).code).toBe(0);
    await writeFile(file('secrets.json'), `{"version":1,"secrets":{"office-password":"${PLANTED}"`, {
      mode: 0o600,
    });
    for (const args of [
      ['accounts', 'show', 'office'],
      ['accounts', 'show', 'office', '--json'],
    ]) {
      const result = await cli(args);
      expect(result.code).toBe(4);
      expect(result.stdout + result.stderr).toContain(`The secret file ${file('secrets.json')} is damaged`);
      expect(result.stdout + result.stderr).not.toContain(PLANTED);
      expect(result.stdout + result.stderr).not.toContain('office-password":');
    }
  });

  it('malformed config entries give CONFIG_INVALID with their paths, not a TypeError', async () => {
    expect((await cli(addArgs('office'), PLANTED)).code).toBe(0);
    const config = JSON.parse(await readFile(file('config.json'), 'utf8'));
    config.accounts.push(null, { id: 'half', protocol: 'smtp', scope: { kind: 'user' } });
    config.users.push({ id: 'carol' });
    await writeFile(file('config.json'), JSON.stringify(config));
    for (const args of [
      ['accounts', 'list'],
      ['send', 'office', '--as', 'x', '--to', 'a@b.c', '--subject', 'x', '--text', 'x'],
    ]) {
      const result = await cli(args);
      expect(result.code).toBe(4);
      expect(result.stderr).toContain('CONFIG_INVALID');
      expect(result.stderr).toContain(`The console configuration ${file('config.json')} has 5 problems`);
      for (const path of [
        'accounts[1]',
        'accounts[2].server',
        'accounts[2].auth',
        'accounts[2].scope.owner',
        'users[0]',
      ]) {
        expect(result.stderr).toContain(`- ${path}:`);
      }
      expect(result.stderr).not.toContain('TypeError');
    }
  });

  it('an unreadable token store exits 4 (configuration), as the README documents', async () => {
    expect((await cli(addArgs('office'), PLANTED)).code).toBe(0);
    expect((await cli(['sign-out', 'office'])).code).toBe(0); // creates the key file
    await writeFile(file('tokens.bin'), 'MPTS not really encrypted', { mode: 0o600 });
    const result = await cli(['sign-out', 'office']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('TOKEN_STORE_UNREADABLE');
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toMatch(/\| 4 +\|[^\n]*TOKEN_STORE_UNREADABLE/);
  });
});

describe('the token key file', () => {
  it('36 concurrent first runs all use one complete key (each reads and writes the token store)', async () => {
    // App-only check: every run opens the encrypted token store and caches or reads a token, so a
    // run holding a different or partial key would fail with TOKEN_STORE_KEY_INVALID/UNREADABLE.
    const emulator = await startEmulator();
    try {
      const { args, env } = appOnlyAccount(emulator, 'notifications');
      const added = await runCli(args, { configDir: dir.path, env });
      expect(added.code, added.stderr).toBe(0);
      expect(existsSync(file('token.key'))).toBe(false);

      const runs = await Promise.all(
        Array.from({ length: 36 }, () => cli(['check', 'notifications', '--json'])),
      );
      for (const run of runs) {
        expect(run.code, run.stderr).toBe(0);
        expect(JSON.parse(run.stdout).state).toBe('authorized');
      }
      const key = await readFile(file('token.key'), 'utf8');
      expect(Buffer.from(key.trim(), 'base64')).toHaveLength(32);
      expect((await stat(file('token.key'))).mode & 0o777).toBe(0o600);
      // The store every run read was written with that one key.
      const codec = createEncryptedCodec({ keyFile: file('token.key'), env: {} });
      const sealed = await readFile(file('tokens.bin'));
      expect(
        Object.keys((codec.decode(sealed.toString('base64')) as { entries: object }).entries),
      ).not.toEqual([]);
      expect((await readdir(dir.path)).filter((name) => /\.(tmp|lock)$/.test(name))).toEqual([]);
    } finally {
      await emulator.stop();
    }
  }, 300_000);
});
