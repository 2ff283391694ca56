import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(() => dir.remove());

interface Listing {
  id: string;
  activated: boolean;
  packageName: string;
  settingsSchema?: { fields: { key: string; type: string }[] };
  direction?: string;
  deprecated?: { since: string };
}

describe('providers', () => {
  it('lists every adapter from manifests, with settings fields, without activating any', async () => {
    const result = await runCli(['providers', '--json'], { configDir: dir.path });
    expect(result.code, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout) as { authProviders: Listing[]; protocols: Listing[] };
    const ids = doc.authProviders.map((p) => p.id);
    expect(ids).toEqual(expect.arrayContaining(['basic', 'gmail-oauth', 'm365-delegated', 'm365-app-only']));
    expect(doc.protocols.map((p) => p.id)).toEqual(expect.arrayContaining(['smtp', 'pop3', 'imap']));
    // The registry reports whether an adapter's code was imported: none may be.
    for (const c of [...doc.authProviders, ...doc.protocols]) expect(c.activated, c.id).toBe(false);
    const gmail = doc.authProviders.find((p) => p.id === 'gmail-oauth');
    expect(gmail?.settingsSchema?.fields).toContainEqual(
      expect.objectContaining({ key: 'clientSecret', type: 'secret' }),
    );
    expect(doc.protocols.find((p) => p.id === 'pop3')?.deprecated?.since).toBeTruthy();
  });

  it('prints a readable overview', async () => {
    const result = await runCli(['providers'], { configDir: dir.path });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('m365-app-only —');
    expect(result.stdout).toMatch(/tenant\s+Tenant \(string, required/);
    expect(result.stdout).toContain('activated: false');
  });
});

describe('composition boundary', () => {
  const src = fileURLToPath(new URL('../src', import.meta.url));
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
    });

  it('src imports no adapter package: adapters come only through the registry', () => {
    const offenders = files(src).filter((file) =>
      /from\s+['"]@mailplug\/(auth-|protocol-|microsoft-identity)|import\(\s*['"]@mailplug\/(auth-|protocol-|microsoft-identity)/.test(
        readFileSync(file, 'utf8'),
      ),
    );
    expect(files(src).length).toBeGreaterThan(5);
    expect(offenders).toEqual([]);
  });

  it('declares the adapters as dependencies so the registry discovers them', () => {
    const manifest = JSON.parse(
      readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'),
    );
    for (const name of [
      'auth-basic',
      'auth-gmail-oauth',
      'auth-m365-delegated',
      'auth-m365-app-only',
      'protocol-smtp',
      'protocol-pop3',
      'protocol-imap',
    ]) {
      expect(manifest.dependencies).toHaveProperty(`@mailplug/${name}`);
    }
  });
});
