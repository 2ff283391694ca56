import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  accountNamespace,
  createAccountKey,
  createEncryptedCodec,
  createEncryptedFileTokenStore,
} from '@mailplug/core';
import { type Emulator, startEmulator } from '@mailplug/emulator';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { addAccountArgs, followSignInHeadless } from '../src/commands/demo-support.js';
import { type CliResult, runCli, tempDir } from './helpers.js';

const SENDER = 'alice@contoso.test';
let emulator: Emulator;
let dir: { path: string; remove(): Promise<void> };
let env: NodeJS.ProcessEnv;
let clientId: string;
let clientSecret: string;

beforeAll(async () => {
  emulator = await startEmulator({ identity: { autoApprove: 'first-user' } });
  clientId = String(emulator.settings['gmail-oauth'].settings.clientId);
  clientSecret = emulator.settings['gmail-oauth'].secrets['emulator-google-client-secret'] ?? '';
  env = { TEST_GOOGLE_CLIENT_SECRET: clientSecret };
});
afterAll(async () => {
  await emulator?.stop();
});
beforeEach(async () => {
  dir = await tempDir();
  emulator.events.clear();
});
afterEach(async () => {
  emulator.inject.clear();
  await dir.remove();
});

const cli = (args: string[]) => runCli(args, { configDir: dir.path, env });
const google = () => `${emulator.urls.http}/google`;

async function addGmail(id: string): Promise<void> {
  const args = addAccountArgs(
    id,
    {
      host: '127.0.0.1',
      port: String(emulator.ports.smtp),
      security: 'starttls',
      'ca-file': emulator.caCertPath,
      provider: 'gmail-oauth',
      from: SENDER,
      scope: 'user',
      owner: 'alice',
    },
    {
      clientId,
      redirectUri: 'http://127.0.0.1/callback',
      mailbox: SENDER,
      authUrl: `${google()}/o/oauth2/v2/auth`,
      tokenUrl: `${google()}/token`,
      revokeUrl: `${google()}/revoke`,
      tokenInfoUrl: `${google()}/tokeninfo`,
      userInfoUrl: `${google()}/v1/userinfo`,
      certsUrl: `${google()}/oauth2/v3/certs`,
    },
    { clientSecret: 'TEST_GOOGLE_CLIENT_SECRET' },
  );
  const added = await cli(args);
  expect(added.code, added.stderr).toBe(0);
}

/** `sign-in <id>` as a child process; the test plays the browser (emulator auto-approve). */
async function signIn(id: string): Promise<void> {
  let followed: Promise<void> | undefined;
  const result = await runCli(['sign-in', id, '--timeout', '30'], {
    configDir: dir.path,
    env,
    onStdout: (soFar) => {
      const url = /(http\S+\/o\/oauth2\/v2\/auth\S*)/.exec(soFar)?.[1];
      if (url && !followed) followed = followSignInHeadless(url, emulator.caCertPem);
    },
  });
  await followed;
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toContain(`Signed in as ${SENDER}`);
}

/** Every entry of the console's encrypted token store, read with the console's own key file. */
async function storedEntries(): Promise<Record<string, unknown>> {
  const codec = createEncryptedCodec({ keyFile: join(dir.path, 'token.key'), env: {} });
  const sealed = await readFile(join(dir.path, 'tokens.bin'));
  const { entries } = codec.decode(sealed.toString('base64')) as { entries: Record<string, unknown> };
  return entries;
}

/** The token-store namespace of a configured account (core keeps each account identity apart). */
async function namespaceOf(id: string): Promise<string> {
  const config = JSON.parse(await readFile(join(dir.path, 'config.json'), 'utf8'));
  return accountNamespace(config.accounts.find((a: { id: string }) => a.id === id));
}

async function storedRefreshToken(id: string): Promise<string> {
  const ns = await namespaceOf(id);
  const entries = Object.entries(await storedEntries()).filter(([key]) => key.startsWith(ns));
  const tokens = entries.map(([, value]) => value as { refreshToken?: string }).find((v) => v?.refreshToken);
  expect(tokens?.refreshToken).toBeTruthy();
  return tokens?.refreshToken ?? '';
}

/** Redeems a refresh token at the emulator's Google token endpoint, as Google's API would. */
async function refreshWith(refreshToken: string): Promise<{ status: number; error?: string }> {
  const response = await fetch(`${google()}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
  const body = (await response.json()) as { error?: string };
  return { status: response.status, ...(body.error ? { error: body.error } : {}) };
}

/** Every token-store key in the account's namespace. */
const keysFor = async (id: string, ns?: string) => {
  const prefix = ns ?? (await namespaceOf(id));
  return Object.keys(await storedEntries()).filter((k) => k.startsWith(prefix));
};
/** Stored values of the account that hold a token (sign-out must leave none). */
const tokensFor = async (id: string) => {
  const ns = await namespaceOf(id);
  return Object.entries(await storedEntries()).filter(
    ([key, value]) => key.startsWith(ns) && /"(access|refresh|id)Token"/.test(JSON.stringify(value)),
  );
};
const revokedEvents = () => emulator.events.list({ kind: 'revoked', flavour: 'google', user: SENDER });
const noSecretsIn = (result: CliResult, ...secrets: string[]) => {
  for (const secret of secrets) expect(result.stdout + result.stderr).not.toContain(secret);
};

describe('sign-out', () => {
  it('revokes the grant at Google, forgets the tokens, and check then asks for a sign-in', async () => {
    await addGmail('gmail');
    await signIn('gmail');
    expect((await cli(['check', 'gmail'])).code).toBe(0);
    const refreshToken = await storedRefreshToken('gmail');
    // Control: the grant works before signing out.
    expect((await refreshWith(refreshToken)).status).toBe(200);

    const out = await cli(['sign-out', 'gmail']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('Signed out "gmail": grant revoked at Google');
    expect(out.stdout).toContain('stored tokens forgotten');
    noSecretsIn(out, refreshToken, clientSecret);

    // Google (the emulator) recorded the revocation and refuses the old refresh token.
    expect(revokedEvents()).toHaveLength(1);
    expect(await refreshWith(refreshToken)).toEqual({ status: 400, error: 'invalid_grant' });
    expect(await tokensFor('gmail')).toEqual([]);

    const check = await cli(['check', 'gmail', '--json']);
    expect(check.code).toBe(5);
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: false, state: 'signInRequired' });

    // Signing out again: nothing left to revoke, no second revocation request.
    const again = await cli(['sign-out', 'gmail', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      ok: true,
      accountId: 'gmail',
      revocation: 'nothingToRevoke',
      tokensForgotten: true,
    });
    expect(revokedEvents()).toHaveLength(1);
  });

  it('reports a failed revocation as a warning in --json and still forgets the tokens', async () => {
    await addGmail('gmail');
    await signIn('gmail');
    const refreshToken = await storedRefreshToken('gmail');
    const fault = emulator.inject.google({
      endpoint: 'revoke',
      status: 503,
      times: Number.POSITIVE_INFINITY,
    });

    const out = await cli(['sign-out', 'gmail', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(fault.hits).toBeGreaterThan(0);
    const report = JSON.parse(out.stdout);
    expect(report).toMatchObject({ ok: true, revocation: 'failed', tokensForgotten: true });
    expect(report.warnings[0].message).toMatch(/revoke/i);
    expect(out.stderr).toContain('Could not revoke the Google grant');
    expect(out.stderr).toContain('may still be valid at the provider');
    noSecretsIn(out, refreshToken, clientSecret);
    expect(await tokensFor('gmail')).toEqual([]);
    // Nothing was revoked: the grant is still alive at the provider, which is what the warning says.
    expect(revokedEvents()).toHaveLength(0);
    expect((await refreshWith(refreshToken)).status).toBe(200);
  });

  it('exits 4 for an unknown account and 2 without one', async () => {
    const unknown = await cli(['sign-out', 'nope']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('ACCOUNT_NOT_FOUND');
    expect((await cli(['sign-out'])).code).toBe(2);
  });
});

describe('accounts remove signs the account out first', () => {
  it('revokes and leaves no tokens for the removed account (others are kept)', async () => {
    await addGmail('gmail');
    await addGmail('other');
    await signIn('gmail');
    await signIn('other');
    const refreshToken = await storedRefreshToken('gmail');
    const gmailNamespace = await namespaceOf('gmail');
    expect(await tokensFor('gmail')).not.toEqual([]);

    const removed = await cli(['accounts', 'remove', 'gmail', '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({
      ok: true,
      removed: 'gmail',
      signOut: { revocation: 'revoked', tokensForgotten: true, warnings: [] },
    });
    // Removal forgets the whole namespace, not just the tokens.
    expect(await keysFor('gmail', gmailNamespace)).toEqual([]);
    expect(await tokensFor('other')).not.toEqual([]);
    // Both accounts are alice's grant for the same client, so revoking one ends the Google grant.
    expect(revokedEvents()).toHaveLength(1);
    expect((await refreshWith(refreshToken)).error).toBe('invalid_grant');
    const list = JSON.parse((await cli(['accounts', 'list', '--json'])).stdout);
    expect(list.accounts.map((a: { id: string }) => a.id)).toEqual(['other']);
  });

  it('removes the account and forgets its tokens even when the revocation fails, and says so', async () => {
    await addGmail('gmail');
    await signIn('gmail');
    emulator.inject.google({ endpoint: 'revoke', status: 503, times: Number.POSITIVE_INFINITY });
    const namespace = await namespaceOf('gmail');

    const removed = await cli(['accounts', 'remove', 'gmail']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('Signed out "gmail" locally (stored tokens forgotten)');
    expect(removed.stdout).toContain('Removed account "gmail"');
    expect(removed.stderr).toContain('! ');
    expect(removed.stderr).toContain('was removed despite the sign-out warning');
    expect(await keysFor('gmail', namespace)).toEqual([]);
    expect((await cli(['accounts', 'show', 'gmail'])).code).toBe(4);
  });

  it('forgets the tokens and removes the account when the provider cannot even be bound', async () => {
    await addGmail('gmail');
    await signIn('gmail');
    // An account whose sign-in method is no longer installed, with tokens left in the store.
    const configPath = join(dir.path, 'config.json');
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    const ghost = {
      ...config.accounts[0],
      id: 'ghost',
      key: createAccountKey(),
      auth: { provider: 'uninstalled-oauth', settings: {} },
    };
    await writeFile(configPath, JSON.stringify({ ...config, accounts: [...config.accounts, ghost] }));
    const store = createEncryptedFileTokenStore({
      path: join(dir.path, 'tokens.bin'),
      keyFile: join(dir.path, 'token.key'),
      env: {},
    });
    const ghostTokens = `${accountNamespace(ghost)}ghost:tokens`;
    await store.set(ghostTokens, { accessToken: 'Planted-Ghost-Token', expiresAt: 0, scopes: [] });

    const removed = await cli(['accounts', 'remove', 'ghost', '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    const report = JSON.parse(removed.stdout);
    expect(report).toMatchObject({ ok: true, removed: 'ghost', signOut: { tokensForgotten: true } });
    expect(report.signOut.warnings[0].message).toContain('Signing out through uninstalled-oauth failed');
    expect(removed.stderr).toContain('was removed despite the sign-out warning');
    noSecretsIn(removed, 'Planted-Ghost-Token');
    expect(Object.keys(await storedEntries())).not.toContain(ghostTokens);
    // The other account's sign-in is untouched.
    expect(await tokensFor('gmail')).not.toEqual([]);
  });
});
