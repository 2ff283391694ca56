import { isDeepStrictEqual } from 'node:util';
import type { AdapterManifest, AuthProviderDefinition, MailProtocol } from '@mailplug/core';
import { ConformanceError } from './suites/conformance.js';

type Subject = AuthProviderDefinition | MailProtocol;

/** The manifest fields the code also has, per contribution kind. */
const COMPARED: Record<'authProviders' | 'protocols', readonly string[]> = {
  authProviders: ['id', 'label', 'capabilities', 'settingsSchema'],
  protocols: ['id', 'label', 'direction', 'defaultPorts', 'deprecated'],
};
/** Registry metadata only the manifest carries (an auth provider definition has no deprecation). */
const MANIFEST_ONLY: Record<'authProviders' | 'protocols', readonly string[]> = {
  authProviders: ['description', 'deprecated'],
  protocols: ['description'],
};

/** JSON has no `undefined` and no class instances: compare what package.json can hold. */
const asJson = (value: unknown): unknown =>
  value === undefined ? undefined : JSON.parse(JSON.stringify(value));

/**
 * Checks that a package.json `mailplug` manifest declares exactly what the code registers (the
 * registry reads the manifest without importing the package, so the two must not drift). Throws a
 * {@link ConformanceError} naming the entry and the fields that differ.
 *
 * @example
 * import packageJson from '../package.json';
 * it('declares what the code registers', () => expectManifestMatches(packageJson, m365AppOnly));
 */
export function expectManifestMatches(packageJson: unknown, subject: Subject): void {
  const manifest = (packageJson as { mailplug?: AdapterManifest } | undefined)?.mailplug;
  if (manifest?.specificationVersion !== 'v1') {
    throw new ConformanceError('package.json has no "mailplug" manifest with specificationVersion "v1".');
  }
  const list = 'direction' in subject ? 'protocols' : 'authProviders';
  const declared = (manifest[list] as readonly { id: string }[] | undefined)?.find(
    (e) => e.id === subject.id,
  );
  if (!declared) {
    throw new ConformanceError(`package.json declares no mailplug.${list} entry with id "${subject.id}".`);
  }
  const compared = COMPARED[list];
  const code = subject as unknown as Record<string, unknown>;
  const entry = declared as Record<string, unknown>;
  const differing = compared.filter((key) => !isDeepStrictEqual(asJson(entry[key]), asJson(code[key])));
  const unknown = Object.keys(entry).filter(
    (key) => !compared.includes(key) && !MANIFEST_ONLY[list].includes(key),
  );
  differing.push(...unknown);
  if (differing.length > 0) {
    throw new ConformanceError(
      `package.json mailplug.${list} entry "${subject.id}" differs from what the code registers in: ${differing.join(', ')}.`,
    );
  }
}
