import { describe, expect, it } from 'vitest';
import { expectManifestMatches } from './manifest-check.js';
import { ConformanceError } from './suites/conformance.js';
import { lineProtocol, passwordProvider } from './suites/test-subjects.js';

const provider = passwordProvider();
const protocol = lineProtocol('receive');

/** What a package.json declaring both subjects holds (JSON, so no undefined values). */
function packageJson(overrides: { auth?: Record<string, unknown>; protocol?: Record<string, unknown> } = {}) {
  return JSON.parse(
    JSON.stringify({
      name: '@example/adapter',
      mailplug: {
        specificationVersion: 'v1',
        authProviders: [
          {
            id: provider.id,
            label: provider.label,
            description: 'Shown in the registry only',
            capabilities: provider.capabilities,
            settingsSchema: provider.settingsSchema,
            ...overrides.auth,
          },
        ],
        protocols: [
          {
            id: protocol.id,
            label: protocol.label,
            direction: protocol.direction,
            defaultPorts: protocol.defaultPorts,
            deprecated: protocol.deprecated,
            ...overrides.protocol,
          },
        ],
      },
    }),
  );
}

const failure = (work: () => void): ConformanceError => {
  try {
    work();
  } catch (error) {
    if (error instanceof ConformanceError) return error;
    throw error;
  }
  throw new Error('expected a ConformanceError');
};

describe('expectManifestMatches', () => {
  it('passes when the manifest declares what the code registers', () => {
    expect(() => expectManifestMatches(packageJson(), provider)).not.toThrow();
    expect(() => expectManifestMatches(packageJson(), protocol)).not.toThrow();
  });

  it('names each field that drifted, and keys the code does not know', () => {
    const schema = { fields: [{ key: 'username', label: 'User', type: 'string' }] };
    const drifted = failure(() =>
      expectManifestMatches(
        packageJson({ auth: { label: 'Old label', settingsSchema: schema, extra: 1 } }),
        provider,
      ),
    );
    expect(drifted.message).toBe(
      `package.json mailplug.authProviders entry "${provider.id}" differs from what the code is in: label, settingsSchema, extra.`,
    );
    const ports = failure(() =>
      expectManifestMatches(
        packageJson({ protocol: { defaultPorts: { tls: 1, starttls: 2, none: 3 } } }),
        protocol,
      ),
    );
    expect(ports.message).toMatch(/protocols entry ".*" differs .* in: defaultPorts\.$/);
  });

  it('fails without a v1 manifest or without an entry for the id', () => {
    expect(failure(() => expectManifestMatches({ name: 'x' }, provider)).message).toMatch(
      /does not declare this auth provider: .*REGISTRY_MANIFEST_INVALID.*"mailplug" manifest of x is not an object/,
    );
    const other = { ...provider, id: 'not-declared' };
    expect(failure(() => expectManifestMatches(packageJson(), other)).message).toMatch(
      /does not declare this auth provider: .*declares no auth provider "not-declared"/,
    );
  });
});
