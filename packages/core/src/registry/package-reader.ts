import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { AdapterManifest, AuthProviderContribution, ProtocolContribution } from './manifest.js';

/** One adapter package as the registry knows it before any of its code runs. */
export interface AdapterPackage {
  readonly name: string;
  readonly version: string;
  /** Absolute directory holding the package's package.json. */
  readonly dir: string;
  readonly manifest: AdapterManifest;
  /** Absolute path of the ESM entry that exports `activate`. */
  readonly entryFile: string;
}

interface PackageJson {
  name?: unknown;
  version?: unknown;
  exports?: unknown;
  module?: unknown;
  main?: unknown;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  mailplug?: unknown;
}

/** Reads JSON without `require`, so nothing lands in the module cache and no code runs. */
export function readPackageJson(dir: string): PackageJson {
  const file = join(dir, 'package.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
  } catch (cause) {
    throw mailplugError(
      CoreErrorCode.RegistryManifestInvalid,
      'developer',
      `Could not read ${file}.`,
      'Point the registry at a directory that contains a valid package.json.',
      { cause, details: { dir } },
    );
  }
}

/** Names of the runtime dependencies a host declares; dev dependencies never ship with a host. */
export function dependencyNames(pkg: PackageJson): string[] {
  return [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})];
}

/**
 * Finds `<name>/package.json` as Node would from `fromDir`. All Mailplug packages export
 * `./package.json`; for packages that do not, the node_modules search paths are walked instead.
 */
export function resolvePackageDir(name: string, fromDir: string): string | undefined {
  const require = createRequire(join(resolve(fromDir), 'package.json'));
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    for (const base of require.resolve.paths(name) ?? []) {
      const candidate = join(base, name);
      if (existsSync(join(candidate, 'package.json'))) return candidate;
    }
    return undefined;
  }
}

/** The adapter package at `dir`, or `undefined` when it declares no `mailplug` manifest. */
export function readAdapterPackage(dir: string): AdapterPackage | undefined {
  const absolute = resolve(dir);
  const pkg = readPackageJson(absolute);
  if (pkg.mailplug === undefined) return undefined;
  const name = typeof pkg.name === 'string' && pkg.name ? pkg.name : absolute;
  const manifest = checkManifest(name, pkg.mailplug);
  return {
    name,
    version: typeof pkg.version === 'string' ? pkg.version : '0.0.0',
    dir: absolute,
    manifest,
    entryFile: join(absolute, esmEntry(name, pkg)),
  };
}

/** `exports["."].import.default`, with the usual fallbacks for simpler `exports` shapes. */
function esmEntry(name: string, pkg: PackageJson): string {
  const root = pickRoot(pkg.exports);
  const candidate =
    pickCondition(root, ['import', 'default']) ??
    pickCondition(root, ['import']) ??
    pickCondition(root, ['default']) ??
    (typeof root === 'string' ? root : undefined) ??
    (typeof pkg.module === 'string' ? pkg.module : undefined) ??
    (typeof pkg.main === 'string' ? pkg.main : undefined);
  if (!candidate) {
    throw invalid(
      name,
      'has no entry point',
      'Add `exports["."].import.default` pointing at the built ESM entry.',
    );
  }
  return candidate;
}

function pickRoot(exportsField: unknown): unknown {
  if (typeof exportsField === 'string') return exportsField;
  if (exportsField && typeof exportsField === 'object' && '.' in exportsField) {
    return (exportsField as Record<string, unknown>)['.'];
  }
  return exportsField;
}

function pickCondition(node: unknown, keys: string[]): string | undefined {
  let current = node;
  for (const key of keys) {
    if (!current || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  if (typeof current === 'string') return current;
  // `import: { types, default }` where default is itself nested is not something we follow further.
  return undefined;
}

function invalid(name: string, what: string, hint: string): Error {
  return mailplugError(
    CoreErrorCode.RegistryManifestInvalid,
    'developer',
    `The "mailplug" manifest of ${name} ${what}.`,
    hint,
    { details: { packageName: name } },
  );
}

/** Structural checks only: enough that listing and validation can trust the shape. */
export function checkManifest(name: string, value: unknown): AdapterManifest {
  if (!value || typeof value !== 'object') {
    throw invalid(name, 'is not an object', 'Declare `"mailplug": { "specificationVersion": "v1", ... }`.');
  }
  const manifest = value as AdapterManifest;
  if (manifest.specificationVersion !== 'v1') {
    throw invalid(
      name,
      `targets specification "${String(manifest.specificationVersion)}"`,
      'Set "specificationVersion": "v1" or upgrade @mailplug/core to a version that supports it.',
    );
  }
  const seen = new Set<string>();
  for (const provider of manifest.authProviders ?? []) checkProvider(name, provider, seen);
  for (const protocol of manifest.protocols ?? []) checkProtocol(name, protocol, seen);
  return manifest;
}

function checkId(name: string, kind: string, id: unknown, seen: Set<string>): void {
  if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(id)) {
    throw invalid(
      name,
      `declares a ${kind} with an invalid id ${JSON.stringify(id)}`,
      'Use a lower-case id of letters, digits, dots, dashes or underscores.',
    );
  }
  const key = `${kind}:${id}`;
  if (seen.has(key)) throw invalid(name, `declares the ${kind} "${id}" twice`, 'Declare each id once.');
  seen.add(key);
}

function checkProvider(name: string, p: AuthProviderContribution, seen: Set<string>): void {
  checkId(name, 'auth provider', p?.id, seen);
  const caps = p.capabilities;
  if (typeof p.label !== 'string' || !p.label) {
    throw invalid(
      name,
      `auth provider "${p.id}" has no label`,
      'Give every contribution a label admins can read.',
    );
  }
  if (
    !caps ||
    !Array.isArray(caps.protocols) ||
    (caps.credentialKind !== 'password' && caps.credentialKind !== 'oauth2')
  ) {
    throw invalid(
      name,
      `auth provider "${p.id}" has incomplete capabilities`,
      'Declare capabilities { interactive, deviceCode, appOnly, protocols: [...], credentialKind: "password" | "oauth2" }.',
    );
  }
  if (!p.settingsSchema || !Array.isArray(p.settingsSchema.fields)) {
    throw invalid(
      name,
      `auth provider "${p.id}" has no settingsSchema`,
      'Declare settingsSchema { fields: [...] }.',
    );
  }
}

function checkProtocol(name: string, p: ProtocolContribution, seen: Set<string>): void {
  checkId(name, 'protocol', p?.id, seen);
  if (typeof p.label !== 'string' || !p.label) {
    throw invalid(
      name,
      `protocol "${p.id}" has no label`,
      'Give every contribution a label admins can read.',
    );
  }
  if (p.direction !== 'send' && p.direction !== 'receive') {
    throw invalid(name, `protocol "${p.id}" has no direction`, 'Declare "direction": "send" or "receive".');
  }
  const ports = p.defaultPorts;
  if (
    !ports ||
    !['starttls', 'tls', 'none'].every((k) => Number.isInteger((ports as Record<string, unknown>)[k]))
  ) {
    throw invalid(
      name,
      `protocol "${p.id}" lacks default ports`,
      'Declare defaultPorts for "starttls", "tls" and "none".',
    );
  }
}
