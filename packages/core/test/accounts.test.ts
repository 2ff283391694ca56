import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  exportAccount,
  isLoopbackHost,
  type MailAccount,
  parseMailAccount,
  serverSettingsFor,
  validateAccount,
} from '../src/accounts/index.js';
import { createRegistry, type Registry } from '../src/registry/index.js';
import { registerSecret } from '../src/spec/v1/redact.js';
import {
  oauthProvider,
  passwordProvider,
  receiveProtocol,
  recordingSendProtocol,
  sendAccount,
} from './helpers.js';

let registry: Registry;
beforeEach(() => {
  registry = createRegistry();
  registry.register(passwordProvider());
  registry.register(oauthProvider());
  registry.register(recordingSendProtocol({ sent: [], connects: 0, closes: 0 }));
  registry.register(receiveProtocol());
});
afterEach(() => registry.dispose());

const paths = async (account: unknown, allowInsecureAuth?: boolean) =>
  (await validateAccount(account, { registry, allowInsecureAuth })).map((i) => i.path);

describe('validateAccount', () => {
  it('accepts a complete account', async () => {
    expect(await validateAccount(sendAccount(), { registry })).toEqual([]);
  });

  it('returns every problem at once, each with a path and a fix', async () => {
    const issues = await validateAccount(
      {
        id: '',
        protocol: 'test-send',
        server: { host: 'smtp://mail.example.com', port: 70000, security: 'ssl', timeoutSeconds: -1 },
        auth: {
          provider: 'test-password',
          settings: { username: ' office', password: 'hunter2-inline', colour: 'red' },
        },
        scope: { kind: 'user' },
      },
      { registry },
    );
    expect(issues.map((i) => i.path).sort()).toEqual(
      [
        'id',
        'server.host',
        'server.port',
        'server.security',
        'server.timeoutSeconds',
        'auth.settings.colour',
        'auth.settings.username',
        'auth.settings.password',
        'identity.fromAddress',
        'scope.owner',
      ].sort(),
    );
    for (const issue of issues) {
      expect(issue.message.length).toBeGreaterThan(5);
      expect(issue.fix.length).toBeGreaterThan(5);
    }
    expect(issues.find((i) => i.path === 'server.port')?.fix).toContain('587 for starttls');
  });

  it('refuses an id with ":" (it would share token-store keys with another account)', async () => {
    const issues = await validateAccount(sendAccount({ id: 'front-desk:graph' }), { registry });
    expect(issues.map((i) => i.path)).toEqual(['id']);
    expect(issues[0]?.fix).toContain('without ":"');
    expect(await paths(sendAccount({ id: 'front-desk@clinic.example' }))).toEqual([]);
  });

  it('allows any port in every security mode', async () => {
    for (const security of ['starttls', 'tls', 'none'] as const) {
      for (const port of [1, 25, 2525, 65535]) {
        const account = sendAccount({
          server: { host: 'mail.example.com', port, security },
          allowInsecureAuth: true,
        });
        expect(await paths(account)).toEqual([]);
      }
    }
  });

  it('names unknown providers and protocols with the installed ones', async () => {
    const issues = await validateAccount(
      sendAccount({ protocol: 'graph', auth: { provider: 'zoho', settings: {} } }),
      { registry },
    );
    expect(issues.find((i) => i.path === 'protocol')?.fix).toContain('test-send, test-receive');
    expect(issues.find((i) => i.path === 'auth.provider')?.fix).toContain('test-password, test-oauth');
  });

  it('refuses a provider that cannot authorise the protocol', async () => {
    const issues = await validateAccount(
      sendAccount({
        protocol: 'test-receive',
        auth: { provider: 'test-oauth', settings: { clientId: 'abc', clientSecret: { secretRef: 's' } } },
      }),
      { registry },
    );
    const mismatch = issues.find((i) => i.code === 'PROTOCOL_MISMATCH');
    expect(mismatch?.path).toBe('auth.provider');
    expect(mismatch?.fix).toContain('supports test-send');
  });

  it('does not require an identity for a receive account', async () => {
    expect(await paths({ ...sendAccount({ protocol: 'test-receive' }), identity: undefined })).toEqual([]);
  });

  it('refuses OAuth over plaintext unless allowed and the host is loopback', async () => {
    const oauth = (host: string, allowInsecureAuth?: boolean): MailAccount =>
      sendAccount({
        server: { host, port: 2525, security: 'none' },
        auth: { provider: 'test-oauth', settings: { clientId: 'abc', clientSecret: { secretRef: 's' } } },
        ...(allowInsecureAuth === undefined ? {} : { allowInsecureAuth }),
      });
    const refused = await validateAccount(oauth('127.0.0.1'), { registry });
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ path: 'server.security', code: 'INSECURE_AUTH_REFUSED' });
    expect(refused[0]?.fix).toMatch(/starttls.*allowInsecureAuth/);

    expect(await paths(oauth('127.0.0.1', true))).toEqual([]);
    expect(await paths(oauth('::1'), true)).toEqual([]);
    expect(await paths(oauth('localhost', true))).toEqual([]);
    const remote = await validateAccount(oauth('smtp.example.com', true), { registry });
    expect(remote.map((i) => i.code)).toEqual(['INSECURE_AUTH_REFUSED']);
    expect(remote[0]?.fix).toContain('loopback');
  });

  it('refuses a password over plaintext unless allowInsecureAuth is set', async () => {
    const account = sendAccount({ server: { host: 'relay.internal', port: 25, security: 'none' } });
    expect((await validateAccount(account, { registry }))[0]?.code).toBe('INSECURE_AUTH_REFUSED');
    expect(await paths({ ...account, allowInsecureAuth: true })).toEqual([]);
  });

  it("validates settings from the manifest without loading code, and adds the provider's own checks once loaded", async () => {
    const fixtures = fileURLToPath(new URL('./fixtures/packages/', import.meta.url));
    const local = createRegistry();
    local.register(recordingSendProtocol({ sent: [], connects: 0, closes: 0 }));
    local.addPackage(join(fixtures, 'acme-auth'));
    (globalThis as { __mailplugFixtureLoads?: string[] }).__mailplugFixtureLoads = [];
    const account = sendAccount({
      protocol: 'smtp',
      auth: { provider: 'acme-password', settings: { username: 'root' } },
    });
    // The fixture manifest authorises 'smtp', which this registry lacks: only the settings matter here.
    const before = await validateAccount(account, { registry: local });
    expect(before.map((i) => i.path)).toEqual(['protocol', 'auth.settings.password']);
    expect((globalThis as { __mailplugFixtureLoads?: string[] }).__mailplugFixtureLoads).toEqual([]);

    await local.getAuthProvider('acme-password');
    const after = await validateAccount(account, { registry: local });
    expect(after.map((i) => i.path)).toEqual([
      'protocol',
      'auth.settings.password',
      'auth.settings.username',
    ]);
    await local.dispose();
  });

  it('runs an activated provider validateSettings with paths under auth.settings', async () => {
    const issues = await validateAccount(
      sendAccount({
        auth: { provider: 'test-password', settings: { username: 'root', password: { secretRef: 'x' } } },
      }),
      { registry },
    );
    expect(issues).toEqual([
      {
        path: 'auth.settings.username',
        message: 'The root account cannot send mail.',
        fix: 'Use the mailbox user name.',
      },
    ]);
  });

  it('recognises loopback hosts', () => {
    expect(
      ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1'].every(
        isLoopbackHost,
      ),
    ).toBe(true);
    expect(
      ['128.0.0.1', '10.0.0.1', 'localhost.example.com', '127.0.0.256', 'example.com'].some(isLoopbackHost),
    ).toBe(false);
  });
});

describe('parseMailAccount', () => {
  it('throws CONFIG_INVALID with every issue in details', async () => {
    const json = JSON.stringify({ ...sendAccount(), server: { host: '', port: 0, security: 'tls' } });
    await expect(parseMailAccount(json, { registry })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      action: 'admin',
      details: { issues: [{ path: 'server.host' }, { path: 'server.port' }] },
    });
  });

  it('returns the typed account when valid and never echoes broken JSON', async () => {
    expect((await parseMailAccount(JSON.stringify(sendAccount()), { registry })).id).toBe('office');
    const planted = 'Pl4nted-Secret-Value-123';
    const err = await parseMailAccount(`{"id": "x", "auth": {"password": "${planted}"`, { registry }).catch(
      (e) => e,
    );
    expect(err.code).toBe('CONFIG_INVALID');
    expect(JSON.stringify(err)).not.toContain(planted);
    expect(String(err)).not.toContain(planted);
  });
});

describe('exportAccount', () => {
  it('keeps secret references and drops every planted inline secret', () => {
    const registered = 'registered-Secret-42-xyz';
    registerSecret(registered);
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const account = {
      ...sendAccount(),
      label: `Office ${registered}`,
      auth: {
        provider: 'test-oauth',
        settings: {
          clientId: 'client-123',
          clientSecret: 'pasted-client-secret-value',
          tokenUrl: 'https://login.example.com/token',
          note: jwt,
          apiKey: { secretRef: 'api-key' },
        },
      },
    } as MailAccount;
    const { account: safe, dropped } = exportAccount(account, { registry });
    const text = JSON.stringify(safe);
    expect(text).not.toContain('pasted-client-secret-value');
    expect(text).not.toContain(registered);
    expect(text).not.toContain(jwt);
    expect(safe.auth.settings).toEqual({
      clientId: 'client-123',
      tokenUrl: 'https://login.example.com/token',
      apiKey: { secretRef: 'api-key' },
    });
    expect(dropped.map((d) => d.path).sort()).toEqual([
      'auth.settings.clientSecret',
      'auth.settings.note',
      'label',
    ]);
    expect(dropped[0]?.fix).toContain('secretRef');
    expect(safe.server).toEqual(account.server);
    // The input is not modified.
    expect(account.auth.settings.clientSecret).toBe('pasted-client-secret-value');
  });

  it('uses key names when no registry is given', () => {
    const account = sendAccount({
      auth: {
        provider: 'unknown',
        settings: { user: 'a', password: 'hunter2-but-longer', token: { secretRef: 't' } },
      },
    });
    const { account: safe, dropped } = exportAccount(account);
    expect(safe.auth.settings).toEqual({ user: 'a', token: { secretRef: 't' } });
    expect(dropped.map((d) => d.path)).toEqual(['auth.settings.password']);
  });
});

describe('serverSettingsFor', () => {
  it('converts the timeout, defaults it to 120 s and reads a CA file', () => {
    expect(serverSettingsFor(sendAccount())).toEqual({
      host: 'smtp.example.com',
      port: 587,
      security: 'starttls',
      timeoutMs: 120_000,
    });
    const dir = mkdtempSync(join(tmpdir(), 'mailplug-ca-'));
    writeFileSync(join(dir, 'ca.pem'), 'PEM-DATA');
    const settings = serverSettingsFor(
      sendAccount({
        server: {
          host: '127.0.0.1',
          port: 2525,
          security: 'none',
          timeoutSeconds: 5,
          caFile: join(dir, 'ca.pem'),
        },
        allowInsecureAuth: true,
      }),
    );
    expect(settings).toMatchObject({ timeoutMs: 5000, tls: { ca: 'PEM-DATA' }, allowInsecureAuth: true });
    expect(serverSettingsFor(sendAccount(), { ca: 'GIVEN' }).tls).toEqual({ ca: 'GIVEN' });
    expect(() =>
      serverSettingsFor(
        sendAccount({ server: { host: 'h', port: 1, security: 'tls', caFile: join(dir, 'missing.pem') } }),
      ),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    rmSync(dir, { recursive: true, force: true });
  });
});
