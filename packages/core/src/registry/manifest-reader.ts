import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { AdapterManifest, AuthProviderContribution, ProtocolContribution } from './manifest.js';
import { checkManifest } from './package-reader.js';

/** An adapter's own manifest, checked once, with typed look-ups by contribution id. */
export interface AdapterManifestReader {
  readonly packageName: string;
  readonly manifest: AdapterManifest;
  /** The auth provider contribution with this id; throws a `developer` error naming the package if absent. */
  authProvider(id: string): AuthProviderContribution;
  /** The protocol contribution with this id; throws a `developer` error naming the package if absent. */
  protocol(id: string): ProtocolContribution;
}

/**
 * Reads an adapter package's `mailplug` manifest back into its code, so package.json stays the
 * single source of truth for ids, labels, capabilities and settings schemas: the registry reads
 * the same JSON without importing the adapter. The manifest gets the registry's structural checks.
 *
 * @example
 * import packageJson from '../package.json' with { type: 'json' };
 * const manifest = readAdapterManifest(packageJson);
 * export const acmeContribution = manifest.authProvider('acme-oauth');
 */
export function readAdapterManifest(packageJson: {
  readonly name?: unknown;
  readonly mailplug?: unknown;
}): AdapterManifestReader {
  const packageName = typeof packageJson.name === 'string' ? packageJson.name : 'this adapter package';
  const manifest = checkManifest(packageName, packageJson.mailplug);
  const missing = (kind: string, id: string) =>
    mailplugError(
      CoreErrorCode.RegistryManifestInvalid,
      'developer',
      `The "mailplug" manifest of ${packageName} declares no ${kind} "${id}".`,
      `Add the ${kind} "${id}" to the "mailplug" key of ${packageName}'s package.json, or use an id it declares.`,
      { details: { packageName, id } },
    );
  return {
    packageName,
    manifest,
    authProvider(id) {
      const found = manifest.authProviders?.find((p) => p.id === id);
      if (!found) throw missing('auth provider', id);
      return found;
    },
    protocol(id) {
      const found = manifest.protocols?.find((p) => p.id === id);
      if (!found) throw missing('protocol', id);
      return found;
    },
  };
}
