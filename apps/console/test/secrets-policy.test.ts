import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

let dir: { path: string; remove(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.remove());

const cli = (args: string[], stdin?: string | Buffer) =>
  runCli(args, { configDir: dir.path, ...(stdin !== undefined ? { stdin } : {}) });
const account = (id: string) => [
  ...['accounts', 'add', id, '--host', 'smtp.example.com', '--provider', 'basic'],
  ...['--setting', `username=${id}@example.com`, '--from', 'shared@example.com'],
];
const secretsFile = async () =>
  JSON.parse(await readFile(join(dir.path, 'secrets.json'), 'utf8')).secrets as Record<string, string>;

describe('--secret-ref', () => {
  it('cannot borrow another account’s secret unless the host allows shared secrets', async () => {
    expect((await cli([...account('office'), '--password-stdin'], 'Office-Pw-1')).code).toBe(0);
    for (const name of ['office-password', 'OFFICE.password']) {
      const borrowed = await cli([...account('intruder'), '--secret-ref', `password=${name}`]);
      expect(borrowed.code).toBe(4);
      expect(borrowed.stderr).toContain('SECRET_NOT_SHARED');
      expect(borrowed.stderr).toContain(`The secret "${name}" belongs to the account "office"`);
      expect(borrowed.stderr).toContain('"allowSharedSecrets": true');
    }
    const before = JSON.parse((await cli(['accounts', 'list', '--json'])).stdout).accounts;
    expect(before.map((a: { id: string }) => a.id)).toEqual(['office']);

    // A free-standing secret (e.g. only in the environment) is fine.
    const own = await cli([...account('relay'), '--secret-ref', 'password=company-relay-password']);
    expect(own.code, own.stderr).toBe(0);

    // The host opts in: sharing works, and removing the owner keeps the secret the other still uses.
    const path = join(dir.path, 'config.json');
    await writeFile(
      path,
      JSON.stringify({ ...JSON.parse(await readFile(path, 'utf8')), allowSharedSecrets: true }),
    );
    const shared = await cli([...account('backup'), '--secret-ref', 'password=office-password']);
    expect(shared.code, shared.stderr).toBe(0);
    expect((await cli(['accounts', 'remove', 'office'])).code).toBe(0);
    expect(await secretsFile()).toEqual({ 'office-password': 'Office-Pw-1' });
    expect((await cli(['accounts', 'remove', 'backup'])).code).toBe(0);
  });
});

describe('secret names after normalization', () => {
  it('team-a, team_a and Team.A cannot share MAILPLUG_SECRET_TEAM_A_PASSWORD', async () => {
    expect((await cli([...account('team-a'), '--password-stdin'], 'Team-A-Pw')).code).toBe(0);
    for (const id of ['team_a', 'Team.A']) {
      const result = await cli([...account(id), '--password-stdin'], `Other-Pw-${id}`);
      expect(result.code).toBe(4);
      expect(result.stderr).toContain('SECRET_NAME_COLLISION');
      expect(result.stderr).toContain(`"${id}" and the existing "team-a" both map to MAILPLUG_SECRET_TEAM_A`);
    }
    expect(await secretsFile()).toEqual({ 'team-a-password': 'Team-A-Pw' });
    const ids = JSON.parse((await cli(['accounts', 'list', '--json'])).stdout).accounts.map(
      (a: { id: string }) => a.id,
    );
    expect(ids).toEqual(['team-a']);
  });
});

describe('stdin', () => {
  it('refuses bytes that are not UTF-8 instead of storing a mangled password', async () => {
    const latin1 = Buffer.from('Pässwort', 'latin1');
    const result = await cli([...account('office'), '--password-stdin'], latin1);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('The text on stdin is not valid UTF-8');
    expect((await cli(['accounts', 'list', '--json'])).stdout).toContain('"accounts": []');

    const utf8 = await cli([...account('office'), '--password-stdin'], 'Pässwort');
    expect(utf8.code, utf8.stderr).toBe(0);
    expect(await secretsFile()).toEqual({ 'office-password': 'Pässwort' });
  });
});
