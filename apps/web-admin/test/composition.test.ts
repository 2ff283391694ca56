import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createWebAdminHost } from '../src/host.js';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('composition', () => {
  it('imports no adapter package: providers and protocols come only from the registry', () => {
    const offenders = sources(SRC).filter((file) =>
      /from '@mailplug\/(auth-|protocol-|microsoft-identity)/.test(readFileSync(file, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('lists every sign-in method and protocol with its settings schema without loading an adapter', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mailplug-web-admin-host-'));
    const host = await createWebAdminHost({ dataDir });
    try {
      const list = host.registry.list();
      const ids = list.map((c) => c.id);
      expect(ids).toEqual(
        expect.arrayContaining([
          'basic',
          'gmail-oauth',
          'm365-delegated',
          'm365-app-only',
          'smtp',
          'graph',
          'gmail-api',
          'imap',
          'pop3',
        ]),
      );
      expect(list.every((c) => !c.activated)).toBe(true);
      const gmail = host.registry.describeAuthProvider('gmail-oauth');
      expect(gmail?.settingsSchema.fields.find((f) => f.key === 'clientSecret')?.type).toBe('secret');
    } finally {
      await host.dispose();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
