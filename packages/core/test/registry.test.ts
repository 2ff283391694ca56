import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from '../src/registry/index.js';
import type { AuthProvider } from '../src/spec/v1/auth-provider.js';
import { isMailplugError, type MailplugError } from '../src/spec/v1/mailplug-error.js';
import type { MailProtocol } from '../src/spec/v1/protocol.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const fixturePackage = (name: string) => join(fixtures, 'packages', name);
const hostDir = join(fixtures, 'host');
const packageDirs = {
  '@fixture/acme-auth': fixturePackage('acme-auth'),
  '@fixture/acme-smtp': fixturePackage('acme-smtp'),
  '@fixture/not-an-adapter': fixturePackage('not-an-adapter'),
};

const g = globalThis as {
  __mailplugFixtureLoads?: string[];
  __mailplugFixtureActivations?: number;
  __mailplugDisposeLog?: string[];
};

async function caught(fn: () => unknown): Promise<MailplugError> {
  try {
    await fn();
  } catch (err) {
    if (isMailplugError(err)) return err;
    throw err;
  }
  throw new Error('expected a MailplugError');
}

function hostProtocol(id: string, log?: string[]): MailProtocol {
  return {
    specificationVersion: 'v1',
    id,
    label: id,
    direction: 'send',
    defaultPorts: { starttls: 587, tls: 465, none: 25 },
    probe: async () => ({ ok: true, steps: [] }),
    connect: async () => {
      log?.push('connect');
      throw new Error('unused');
    },
  };
}

function hostProvider(id: string): AuthProvider {
  return {
    specificationVersion: 'v1',
    id,
    label: id,
    settingsSchema: { fields: [] },
    capabilities: {
      interactive: false,
      deviceCode: false,
      appOnly: false,
      protocols: ['smtp'],
      credentialKind: 'password',
    },
    createSession: () => {
      throw new Error('unused');
    },
  };
}

let registry: Registry | undefined;
afterEach(async () => {
  await registry?.dispose();
  registry = undefined;
});

describe('registry: declare, then activate', () => {
  it('lists every contribution without loading any adapter code, and loads it on first use', async () => {
    g.__mailplugFixtureLoads = [];
    registry = createRegistry({ packageDirs });
    const found = registry.discover({ from: hostDir });

    expect(found).toEqual(['@fixture/acme-auth', '@fixture/acme-smtp']);
    const listed = registry.list();
    expect(listed.map((c) => [c.kind, c.id, c.packageName, c.activated])).toEqual([
      ['authProvider', 'acme-password', '@fixture/acme-auth', false],
      ['protocol', 'acme-smtp', '@fixture/acme-smtp', false],
    ]);
    const provider = registry.describeAuthProvider('acme-password');
    expect(provider?.settingsSchema.fields.map((f) => f.key)).toEqual(['username', 'password']);
    expect(provider?.protocols).toEqual(['smtp']);
    expect(registry.describeProtocol('acme-smtp')?.direction).toBe('send');
    expect(g.__mailplugFixtureLoads).toEqual([]);

    const definition = await registry.getAuthProvider('acme-password');
    expect(definition.label).toBe('Acme password');
    expect(g.__mailplugFixtureLoads).toEqual(['acme-auth']);
    expect(registry.describeAuthProvider('acme-password')?.activated).toBe(true);
    expect(registry.describeProtocol('acme-smtp')?.activated).toBe(false);

    await registry.getProtocol('acme-smtp');
    expect(g.__mailplugFixtureLoads).toEqual(['acme-auth', 'acme-smtp']);
  });

  it('activates a package once even when first uses overlap', async () => {
    g.__mailplugFixtureActivations = 0;
    registry = createRegistry();
    registry.addPackage(fixturePackage('acme-auth'));
    const [a, b, c] = await Promise.all([
      registry.getAuthProvider('acme-password'),
      registry.getAuthProvider('acme-password'),
      registry.getAuthProvider('acme-password'),
    ]);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(g.__mailplugFixtureActivations).toBe(1);
  });

  it('ignores packages without a manifest and is idempotent for the same directory', () => {
    registry = createRegistry();
    expect(registry.addPackage(fixturePackage('not-an-adapter'))).toBeUndefined();
    expect(registry.addPackage(fixturePackage('acme-smtp'))).toBe('@fixture/acme-smtp');
    expect(registry.addPackage(fixturePackage('acme-smtp'))).toBe('@fixture/acme-smtp');
    expect(registry.list()).toHaveLength(1);
  });

  it('rejects an unknown id with the known ids listed', async () => {
    registry = createRegistry({ packageDirs });
    registry.discover({ from: hostDir });
    const err = await caught(() => registry?.getAuthProvider('gmail-oauth'));
    expect(err.code).toBe('REGISTRY_UNKNOWN_ID');
    expect(err.message).toContain('acme-password');
    expect(err.hint).toMatch(/install the package/i);
    expect((await caught(() => registry?.getProtocol('pop3'))).message).toContain('acme-smtp');
  });
});

describe('registry: duplicate ids are never shadowed silently', () => {
  it('refuses two manifests contributing the same id, naming both packages', () => {
    registry = createRegistry();
    registry.addPackage(fixturePackage('acme-auth'));
    let error: unknown;
    try {
      registry.addPackage(fixturePackage('clash-auth'));
    } catch (err) {
      error = err;
    }
    expect(isMailplugError(error) && error.code).toBe('REGISTRY_DUPLICATE_ID');
    expect((error as Error).message).toBe(
      'Auth provider id "acme-password" is contributed by both @fixture/acme-auth and acme-basic.',
    );
    expect(registry.describeAuthProvider('acme-password')?.packageName).toBe('@fixture/acme-auth');
  });

  it('refuses a programmatic registration that clashes with a manifest, and the reverse', () => {
    registry = createRegistry();
    registry.addPackage(fixturePackage('acme-smtp'));
    expect(() => registry?.register(hostProtocol('acme-smtp'), { packageName: 'acme-bundle' })).toThrow(
      'Protocol id "acme-smtp" is contributed by both @fixture/acme-smtp and acme-bundle (register()).',
    );

    registry.register(hostProvider('acme-password'));
    expect(() => registry?.addPackage(fixturePackage('acme-auth'))).toThrow(
      /"acme-password" is contributed by both the host \(register\(\)\) and @fixture\/acme-auth/,
    );
  });

  it('register() returns a Disposable that frees the id', async () => {
    registry = createRegistry();
    const registration = registry.register(hostProvider('bundled'));
    expect(registry.describeAuthProvider('bundled')?.source).toBe('programmatic');
    expect(registry.describeAuthProvider('bundled')?.activated).toBe(true);
    expect((await registry.getAuthProvider('bundled')).id).toBe('bundled');
    await registration.dispose();
    expect(registry.describeAuthProvider('bundled')).toBeUndefined();
    expect(() => registry?.register(hostProvider('bundled'))).not.toThrow();
  });
});

describe('registry: activation checks', () => {
  it('fails when a package registers an id its manifest does not declare', async () => {
    registry = createRegistry();
    registry.addPackage(fixturePackage('undeclared'));
    const err = await caught(() => registry?.getProtocol('declared-proto'));
    expect(err.code).toBe('REGISTRY_ACTIVATION_FAILED');
    expect(err.action).toBe('developer');
    expect(err.message).toContain('"sneaky-proto"');
    expect(err.hint).toContain('Declare "sneaky-proto"');
    // The half-finished activation was rolled back.
    expect(registry.describeProtocol('declared-proto')?.activated).toBe(false);
  });

  it('fails when a package does not register an id it declared', async () => {
    registry = createRegistry();
    registry.addPackage(fixturePackage('forgetful'));
    const err = await caught(() => registry?.getProtocol('forgotten-proto'));
    expect(err.code).toBe('REGISTRY_ACTIVATION_FAILED');
    expect(err.message).toContain('declares protocol "forgotten-proto" but activate() did not register it');
  });

  it('wraps an activate() exception and a missing entry with their cause', async () => {
    registry = createRegistry();
    registry.addPackage(fixturePackage('broken'));
    registry.addPackage(fixturePackage('unbuilt'));
    const thrown = await caught(() => registry?.getProtocol('broken-proto'));
    expect(thrown.code).toBe('REGISTRY_ACTIVATION_FAILED');
    expect((thrown.cause as Error).message).toBe('tenant table is corrupt');

    const unbuilt = await caught(() => registry?.getProtocol('unbuilt-proto'));
    expect(unbuilt.code).toBe('REGISTRY_ACTIVATION_FAILED');
    expect(unbuilt.hint).toContain('build @fixture/unbuilt');
    expect(unbuilt.cause).toBeInstanceOf(Error);
  });
});

describe('registry: dispose', () => {
  it('calls deactivate and disposes subscriptions and registrations last first', async () => {
    g.__mailplugDisposeLog = [];
    registry = createRegistry();
    registry.register({ ...hostProtocol('first-host') });
    registry.addPackage(fixturePackage('ordered'));
    await registry.getProtocol('ordered-proto');
    registry.register(hostProvider('later-host'));

    const disposing = registry;
    registry = undefined;
    await disposing.dispose();

    expect(g.__mailplugDisposeLog).toEqual([
      'ordered:deactivate',
      'ordered:second-subscription',
      'ordered:first-subscription',
    ]);
    expect(disposing.describeAuthProvider('later-host')).toBeUndefined();
    expect(disposing.describeProtocol('first-host')).toBeUndefined();
    expect(disposing.describeProtocol('ordered-proto')?.activated).toBe(false);
    await expect(disposing.getProtocol('ordered-proto')).rejects.toMatchObject({ code: 'REGISTRY_DISPOSED' });
  });
});
