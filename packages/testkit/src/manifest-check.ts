import { isDeepStrictEqual } from 'node:util';
import { type AuthProvider, type MailProtocol, readAdapterManifest } from '@mailplug/core';
import { ConformanceError, describeError } from './suites/conformance.js';

/** The manifest fields the code also has, per contribution kind. */
const COMPARED = {
  authProviders: ['id', 'label', 'capabilities', 'settingsSchema'],
  protocols: ['id', 'label', 'direction', 'defaultPorts', 'deprecated'],
} as const;
/** Registry metadata only the manifest carries (an auth provider object has no deprecation). */
const MANIFEST_ONLY: Record<keyof typeof COMPARED, readonly string[]> = {
  authProviders: ['description', 'deprecated'],
  protocols: ['description'],
};

/** JSON has no `undefined` and no class instances: compare what package.json can hold. */
const asJson = (value: unknown): unknown =>
  value === undefined ? undefined : JSON.parse(JSON.stringify(value));

/**
 * Checks that a package.json `mailplug` manifest declares exactly what the code is (the registry
 * reads the manifest without importing the package, so the two must not drift). The auth provider
 * and mail protocol suites run it; it is exported for adapters that register more than they test.
 * Throws a {@link ConformanceError} naming the entry and the fields that differ.
 *
 * @example
 * import packageJson from '../package.json' with { type: 'json' };
 * it('declares what the code registers', () => expectManifestMatches(packageJson, m365AppOnly));
 */
export function expectManifestMatches(
  packageJson: { readonly name?: unknown; readonly mailplug?: unknown },
  subject: AuthProvider | MailProtocol,
): void {
  const list = 'direction' in subject ? 'protocols' : 'authProviders';
  let declared: object;
  try {
    const reader = readAdapterManifest(packageJson);
    declared = list === 'protocols' ? reader.protocol(subject.id) : reader.authProvider(subject.id);
  } catch (error) {
    throw new ConformanceError(
      `the package.json manifest does not declare this ${list === 'protocols' ? 'protocol' : 'auth provider'}: ${describeError(error)}`,
    );
  }
  const entry = new Map(Object.entries(declared));
  const code = new Map(Object.entries(subject));
  const compared: readonly string[] = COMPARED[list];
  const differing = compared.filter(
    (key) => !isDeepStrictEqual(asJson(entry.get(key)), asJson(code.get(key))),
  );
  const unknown = [...entry.keys()].filter(
    (key) => !compared.includes(key) && !MANIFEST_ONLY[list].includes(key),
  );
  const all = [...differing, ...unknown];
  if (all.length > 0) {
    throw new ConformanceError(
      `package.json mailplug.${list} entry "${subject.id}" differs from what the code is in: ${all.join(', ')}.`,
    );
  }
}
