/**
 * The emulator's ready-made `settings[provider]` must be usable as-is by each provider package:
 * every object validates against the settings schema that the provider declares in its
 * package.json `mailplug` manifest, read through core's registry (no provider code is loaded).
 *
 * The provider packages are read from their workspace directories rather than declared as
 * devDependencies: they already depend on the emulator for their own tests, and a dependency
 * cycle would break turbo's build graph.
 */
import { fileURLToPath } from 'node:url';
import { createRegistry, isSecretRef, type Registry, validateSettings } from '@mailplug/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/index.js';

const PROVIDER_PACKAGES = ['auth-gmail-oauth', 'auth-m365-delegated', 'auth-m365-app-only', 'auth-basic'];

let emulator: Emulator;
let registry: Registry;

beforeAll(async () => {
  emulator = await startEmulator({ mail: false });
  registry = createRegistry();
  for (const dir of PROVIDER_PACKAGES) {
    registry.addPackage(fileURLToPath(new URL(`../../../${dir}`, import.meta.url)));
  }
});

afterAll(async () => {
  await registry?.dispose();
  await emulator?.stop();
});

describe('ready-made settings', () => {
  it('validate as-is against every provider manifest schema, with every secretRef supplied', () => {
    const presets = Object.entries(emulator.settings);
    expect(presets.map(([id]) => id).sort()).toEqual([
      'basic',
      'gmail-oauth',
      'm365-app-only',
      'm365-delegated',
    ]);
    for (const [id, preset] of presets) {
      expect(preset.provider).toBe(id);
      const listing = registry.describeAuthProvider(id);
      expect(listing, `no manifest declares auth provider "${id}"`).toBeDefined();
      if (!listing) continue;
      expect({ id, issues: validateSettings(listing.settingsSchema, preset.settings) }).toEqual({
        id,
        issues: [],
      });
      for (const value of Object.values(preset.settings)) {
        if (isSecretRef(value)) expect(Object.keys(preset.secrets)).toContain(value.secretRef);
      }
      // Reading manifests must not have activated (imported) any provider code.
      expect(listing.activated).toBe(false);
    }
  });

  it('point gmail-oauth at the emulator for every Google endpoint the schema knows', () => {
    const gmail = emulator.settings['gmail-oauth'].settings;
    const base = emulator.urls.googleBase;
    expect(gmail).toMatchObject({
      authUrl: `${base}/o/oauth2/v2/auth`,
      tokenUrl: `${base}/token`,
      certsUrl: `${base}/oauth2/v3/certs`,
      ca: emulator.caCertPem.trimEnd(),
    });
  });

  it('would be caught by the schema check if a key drifted (the old authBaseUrl spelling)', () => {
    const schema = registry.describeAuthProvider('gmail-oauth')?.settingsSchema;
    expect(schema).toBeDefined();
    if (!schema) return;
    const { authUrl, ...rest } = emulator.settings['gmail-oauth'].settings;
    const issues = validateSettings(schema, { ...rest, authBaseUrl: authUrl });
    expect(issues.map((issue) => issue.path)).toEqual(['authBaseUrl']);
  });
});
