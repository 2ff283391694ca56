import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

const PLANTED = 'Planted-S3cret-7f9a2c-do-not-leak';
let dir: { path: string; remove(): Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.remove());

const cli = (args: string[], stdin?: string) =>
  runCli(args, { configDir: dir.path, ...(stdin !== undefined ? { stdin } : {}) });

const addOffice = () =>
  cli(
    [
      'accounts',
      'add',
      'office',
      '--host',
      'smtp.example.com',
      '--provider',
      'basic',
      '--setting',
      'username=office@example.com',
      '--password-stdin',
      '--from',
      'office@example.com',
      '--display-name',
      'Example Office',
    ],
    PLANTED,
  );

describe('accounts', () => {
  it('adds, lists and shows an account; the password is stored by reference only', async () => {
    const added = await addOffice();
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('Added account "office"');

    const list = await cli(['accounts', 'list', '--json']);
    expect(list.code).toBe(0);
    const listed = JSON.parse(list.stdout) as { accounts: { id: string; server: { port: number } }[] };
    expect(listed.accounts.map((a) => a.id)).toEqual(['office']);
    // No --port: the protocol's default for STARTTLS, from the smtp manifest.
    expect(listed.accounts[0]?.server.port).toBe(587);

    const human = await cli(['accounts', 'list']);
    expect(human.stdout).toMatch(/office\s+smtp\s+basic\s+smtp\.example\.com:587\s+starttls\s+organization/);

    const show = await cli(['accounts', 'show', 'office']);
    expect(show.stdout).toContain('"secretRef": "office-password"');
    expect(show.stdout).toContain('secret password → "office-password": secret file');
    expect(show.stdout).not.toContain(PLANTED);

    const config = await readFile(join(dir.path, 'config.json'), 'utf8');
    expect(config).not.toContain(PLANTED);
    const secrets = await readFile(join(dir.path, 'secrets.json'), 'utf8');
    expect(secrets).toContain(PLANTED);
    expect((await stat(join(dir.path, 'secrets.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir.path, 'config.json'))).mode & 0o777).toBe(0o600);
  });

  it('exports without secrets, even a secret planted inline in the config file', async () => {
    expect((await addOffice()).code).toBe(0);
    // Plant an inline secret by hand, as a careless admin editing config.json might.
    const path = join(dir.path, 'config.json');
    const config = JSON.parse(await readFile(path, 'utf8'));
    config.accounts[0].auth.settings.password = PLANTED;
    await writeFile(path, JSON.stringify(config));

    const exported = await cli(['accounts', 'export']);
    expect(exported.code).toBe(0);
    expect(exported.stdout).not.toContain(PLANTED);
    expect(exported.stderr).not.toContain(PLANTED);
    expect(exported.stderr).toContain('left out office auth.settings.password');
    const doc = JSON.parse(exported.stdout);
    expect(doc.format).toBe('mailplug-console/accounts');
    expect(doc.accounts[0].auth.settings).toEqual({ username: 'office@example.com' });
  });

  it('export → import round-trips into another configuration directory', async () => {
    expect((await addOffice()).code).toBe(0);
    expect((await cli(['users', 'add', 'alice'])).code).toBe(0);
    const file = join(dir.path, 'backup.json');
    const exported = await cli(['accounts', 'export', '-o', file]);
    expect(exported.code).toBe(0);
    expect(await readFile(file, 'utf8')).not.toContain(PLANTED);

    const other = await tempDir();
    try {
      const imported = await runCli(['accounts', 'import', file], { configDir: other.path });
      expect(imported.code).toBe(0);
      // The secret never travelled: the import says how to provide it.
      expect(imported.stderr).toContain('secret "office-password" (password) is not set yet');
      const list = await runCli(['accounts', 'list', '--json'], { configDir: other.path });
      expect(JSON.parse(list.stdout).accounts[0].id).toBe('office');
      const users = await runCli(['users', 'list', '--json'], { configDir: other.path });
      expect(JSON.parse(users.stdout).users).toEqual([{ id: 'alice', sendOnBehalfOfOrganization: true }]);
    } finally {
      await other.remove();
    }
  });

  it('a bad import reports every issue with path and fix and leaves the config byte-identical', async () => {
    expect((await addOffice()).code).toBe(0);
    const before = await readFile(join(dir.path, 'config.json'));
    const file = join(dir.path, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({
        format: 'mailplug-console/accounts',
        version: 1,
        accounts: [
          {
            id: 'good',
            protocol: 'smtp',
            server: { host: 'smtp.example.com', port: 587, security: 'starttls' },
            auth: {
              provider: 'basic',
              settings: { username: 'a@example.com', password: { secretRef: 'x' } },
            },
            identity: { fromAddress: 'a@example.com' },
            scope: { kind: 'organization' },
          },
          {
            id: 'bad1',
            protocol: 'smtp',
            server: { host: 'smtp://mail.example.com', port: 0, security: 'ssl' },
            auth: { provider: 'basic', settings: { username: 'a@example.com' } },
            scope: { kind: 'user' },
          },
          {
            id: 'office',
            protocol: 'smtp',
            server: { host: 'smtp.example.com', port: 587, security: 'starttls' },
            auth: { provider: 'no-such-provider', settings: {} },
            identity: { fromAddress: 'office@example.com' },
            scope: { kind: 'organization' },
          },
        ],
        footer: { text: 'x'.repeat(501) },
      }),
    );
    const result = await cli(['accounts', 'import', file]);
    expect(result.code).toBe(4);
    for (const path of [
      'accounts[1] (bad1).server.host',
      'accounts[1] (bad1).server.port',
      'accounts[1] (bad1).server.security',
      'accounts[1] (bad1).auth.settings.password',
      'accounts[1] (bad1).identity.fromAddress',
      'accounts[1] (bad1).scope.owner',
      'accounts[2] (office).auth.provider',
      'accounts[2] (office).id',
      'footer',
    ]) {
      expect(result.stderr).toContain(`- ${path}:`);
    }
    expect(result.stderr).toContain('fix:');
    expect(result.stderr).toContain('nothing was imported');
    expect(await readFile(join(dir.path, 'config.json'))).toEqual(before);
  });

  it('an invalid edit is refused with every issue and nothing changes', async () => {
    expect((await addOffice()).code).toBe(0);
    const before = await readFile(join(dir.path, 'config.json'));
    const result = await cli(['accounts', 'edit', 'office', '--port', '70000', '--from', 'not-an-address']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('- server.port:');
    expect(result.stderr).toContain('- identity.fromAddress:');
    expect(await readFile(join(dir.path, 'config.json'))).toEqual(before);

    const ok = await cli(['accounts', 'edit', 'office', '--port', '465', '--security', 'tls']);
    expect(ok.code).toBe(0);
    const shown = JSON.parse((await cli(['accounts', 'show', 'office', '--json'])).stdout);
    expect(shown.account.server).toMatchObject({ port: 465, security: 'tls' });
  });

  it('refuses secret values on the command line without echoing them', async () => {
    const result = await cli([
      'accounts',
      'add',
      'x',
      '--host',
      'smtp.example.com',
      '--provider',
      'basic',
      '--setting',
      'username=a@example.com',
      '--setting',
      `password=${PLANTED}`,
      '--from',
      'a@example.com',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--secret-stdin password');
    expect(result.stderr + result.stdout).not.toContain(PLANTED);
  });

  it('removes an account together with the secret it stored', async () => {
    expect((await addOffice()).code).toBe(0);
    expect((await cli(['accounts', 'remove', 'office'])).code).toBe(0);
    expect(await readFile(join(dir.path, 'secrets.json'), 'utf8')).not.toContain(PLANTED);
    const missing = await cli(['accounts', 'show', 'office']);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('There is no account "office"');
  });

  it('answers --help, unknown commands and unknown options with the documented exit codes', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('accounts import <file>');
    const sendHelp = await cli(['send', '--help']);
    expect(sendHelp.code).toBe(0);
    expect(sendHelp.stdout).toContain('--as <user>');
    expect((await cli(['frobnicate'])).code).toBe(2);
    const badOption = await cli(['accounts', 'list', '--bogus']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain('--bogus');
  });
});
