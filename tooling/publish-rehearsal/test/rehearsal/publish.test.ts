import { expect, inject, it } from 'vitest';
import { publicPackages } from '../support/workspace.js';

const rehearsal = inject('rehearsal');

async function packument(name: string): Promise<{ versions: Record<string, Record<string, unknown>> }> {
  const reply = await fetch(`${rehearsal.registry}${name.replace('/', '%2f')}`, {
    signal: AbortSignal.timeout(10_000),
  });
  expect(reply.status, `${name} on the local registry`).toBe(200);
  return (await reply.json()) as { versions: Record<string, Record<string, unknown>> };
}

it('changeset version releases every public package below 1.0 (a core minor does not force adapters to 1.0.0)', () => {
  const names = publicPackages().map((p) => p.name);
  expect(Object.keys(rehearsal.versions).sort()).toEqual(names);
  for (const [name, version] of Object.entries(rehearsal.versions))
    expect(version, name).toMatch(/^0\.\d+\.\d+$/);
  expect(rehearsal.versions['@mailplug/core']).not.toBe('0.0.0');
});

it('every public package is on the local registry at its new version, with core as a peer and no workspace or catalog ranges', async () => {
  for (const [name, version] of Object.entries(rehearsal.versions)) {
    const manifest = (await packument(name)).versions[version];
    expect(manifest, `${name}@${version}`).toBeDefined();
    expect(JSON.stringify(manifest), name).not.toContain('workspace:');
    expect(JSON.stringify(manifest), name).not.toContain('catalog:');
    const deps = (manifest?.dependencies ?? {}) as Record<string, string>;
    const peers = (manifest?.peerDependencies ?? {}) as Record<string, string>;
    expect(deps['@mailplug/core'], `${name} must not bring its own core`).toBeUndefined();
    if (name !== '@mailplug/core' && name !== '@mailplug/create-adapter') {
      expect(peers['@mailplug/core'], `${name} peer range`).toBe('^0');
    }
  }
});
