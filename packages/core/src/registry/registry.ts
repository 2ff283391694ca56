import { resolve } from 'node:path';
import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { AuthProvider } from '../spec/v1/auth-provider.js';
import { type Disposable, disposeAll, toDisposable } from '../spec/v1/disposable.js';
import type { MailProtocol } from '../spec/v1/protocol.js';
import type { Logger } from '../spec/v1/stores.js';
import { activatePackage } from './activation.js';
import {
  type AuthProviderListing,
  type Contribution,
  contributionOfProtocol,
  contributionOfProvider,
  isMailProtocol,
  type ProtocolListing,
  protocolListing,
  providerListing,
} from './contributions.js';
import {
  duplicateId,
  type Owner,
  type PackageState,
  type ProtocolEntry,
  type ProviderEntry,
  unknownId,
} from './entries.js';
import { dependencyNames, readAdapterPackage, readPackageJson, resolvePackageDir } from './package-reader.js';

export interface RegistryOptions {
  /**
   * Package directories by name, consulted before Node resolution in `discover()`. Lets tests and
   * unusual layouts (vendored adapters, fixtures) point a dependency at a directory.
   */
  readonly packageDirs?: Readonly<Record<string, string>>;
  readonly logger?: Logger;
}

export interface RegisterOptions {
  /** Shown in duplicate-id errors and listings; defaults to "the host". */
  readonly packageName?: string;
}

/** The plug-in registry: manifests are read eagerly, adapter code is imported on first use. */
export interface Registry extends Disposable {
  /** Reads `<from>/package.json` and adds every dependency that declares a `mailplug` manifest. Returns their names. */
  discover(options: { readonly from: string }): string[];
  /** Adds the adapter package in `dir` (no-op when it has no manifest). Returns its name, if any. */
  addPackage(dir: string): string | undefined;
  /** Everything contributed, from manifests and `register()`, without loading any adapter code. */
  list(): Contribution[];
  describeAuthProvider(id: string): AuthProviderListing | undefined;
  describeProtocol(id: string): ProtocolListing | undefined;
  /** The definition if its package is already active (never activates). */
  peekAuthProvider(id: string): AuthProvider | undefined;
  getAuthProvider(id: string): Promise<AuthProvider>;
  getProtocol(id: string): Promise<MailProtocol>;
  /** Programmatic registration for hosts that bundle adapters. Throws REGISTRY_DUPLICATE_ID. */
  register(item: AuthProvider | MailProtocol, options?: RegisterOptions): Disposable;
  /** Disposes every registration and subscription, last first, calling each package's `deactivate`. */
  dispose(): Promise<void>;
}

const sourceOf = (owner: Owner) => (owner.pkg ? 'manifest' : 'programmatic');
const listProvider = (e: ProviderEntry): AuthProviderListing =>
  providerListing(e.contribution, e.owner.label, sourceOf(e.owner), !!e.definition);
const listProtocol = (e: ProtocolEntry): ProtocolListing =>
  protocolListing(e.contribution, e.owner.label, sourceOf(e.owner), !!e.implementation);

/**
 * Creates a registry. Listing reads only package.json files; `getAuthProvider` / `getProtocol`
 * import an adapter's entry once and call its `activate(context)`.
 *
 * @example
 * const registry = createRegistry();
 * registry.discover({ from: process.cwd() });
 * const forms = registry.list().filter((c) => c.kind === 'authProvider');
 * const gmail = await registry.getAuthProvider('gmail-oauth'); // loads google-auth-library now
 */
export function createRegistry(options: RegistryOptions = {}): Registry {
  const providers = new Map<string, ProviderEntry>();
  const protocols = new Map<string, ProtocolEntry>();
  const packages = new Map<string, PackageState>();
  /** Everything to undo on dispose, in the order it happened. */
  const stack: Disposable[] = [];
  let disposed = false;

  const ensureOpen = () => {
    if (disposed) {
      throw mailplugError(
        CoreErrorCode.RegistryDisposed,
        'developer',
        'The registry has been disposed.',
        'Create a new registry instead of using one after dispose().',
      );
    }
  };

  function addPackage(dir: string): string | undefined {
    ensureOpen();
    const pkg = readAdapterPackage(dir);
    if (!pkg) return undefined;
    const known = packages.get(pkg.name);
    if (known) {
      if (known.pkg.dir === pkg.dir) return pkg.name;
      throw mailplugError(
        CoreErrorCode.RegistryDuplicateId,
        'developer',
        `Package ${pkg.name} was found twice, in ${known.pkg.dir} and ${pkg.dir}.`,
        'Keep one copy of the adapter package (deduplicate the host dependencies).',
        { details: { packageName: pkg.name } },
      );
    }
    // Check every id before inserting any, so a clash leaves the registry unchanged.
    for (const c of pkg.manifest.authProviders ?? []) {
      const existing = providers.get(c.id);
      if (existing) throw duplicateId('authProvider', c.id, existing.owner.label, pkg.name);
    }
    for (const c of pkg.manifest.protocols ?? []) {
      const existing = protocols.get(c.id);
      if (existing) throw duplicateId('protocol', c.id, existing.owner.label, pkg.name);
    }
    const state: PackageState = { pkg, activated: false };
    packages.set(pkg.name, state);
    const owner: Owner = { label: pkg.name, pkg: state };
    for (const c of pkg.manifest.authProviders ?? []) providers.set(c.id, { contribution: c, owner });
    for (const c of pkg.manifest.protocols ?? []) protocols.set(c.id, { contribution: c, owner });
    options.logger?.debug('mailplug: adapter package added', { packageName: pkg.name, version: pkg.version });
    return pkg.name;
  }

  function discover({ from }: { readonly from: string }): string[] {
    ensureOpen();
    const hostDir = resolve(from);
    const found: string[] = [];
    for (const dep of dependencyNames(readPackageJson(hostDir))) {
      const dir = options.packageDirs?.[dep] ?? resolvePackageDir(dep, hostDir);
      if (!dir) {
        options.logger?.warn('mailplug: dependency not installed; skipped', { packageName: dep });
        continue;
      }
      const name = addPackage(dir);
      if (name) found.push(name);
    }
    return found;
  }

  function activate(state: PackageState): Promise<void> {
    if (state.activated) return Promise.resolve();
    // Concurrent first uses share one activation; a failed one may be retried later.
    state.activation ??= activatePackage(state, { providers, protocols }).then(
      (teardown) => {
        state.activated = true;
        stack.push(teardown);
      },
      (err: unknown) => {
        state.activation = undefined;
        throw err;
      },
    );
    return state.activation;
  }

  return {
    discover,
    addPackage,
    list() {
      return [...[...providers.values()].map(listProvider), ...[...protocols.values()].map(listProtocol)];
    },
    describeAuthProvider(id) {
      const e = providers.get(id);
      return e && listProvider(e);
    },
    describeProtocol(id) {
      const e = protocols.get(id);
      return e && listProtocol(e);
    },
    peekAuthProvider(id) {
      return providers.get(id)?.definition;
    },
    async getAuthProvider(id) {
      ensureOpen();
      const entry = providers.get(id);
      if (!entry) throw unknownId('authProvider', id, providers.keys());
      if (!entry.definition && entry.owner.pkg) await activate(entry.owner.pkg);
      if (!entry.definition) throw unknownId('authProvider', id, providers.keys());
      return entry.definition;
    },
    async getProtocol(id) {
      ensureOpen();
      const entry = protocols.get(id);
      if (!entry) throw unknownId('protocol', id, protocols.keys());
      if (!entry.implementation && entry.owner.pkg) await activate(entry.owner.pkg);
      if (!entry.implementation) throw unknownId('protocol', id, protocols.keys());
      return entry.implementation;
    },
    register(item, registerOptions = {}) {
      ensureOpen();
      const label = `${registerOptions.packageName ?? 'the host'} (register())`;
      const owner: Owner = { label };
      let registration: Disposable;
      if (isMailProtocol(item)) {
        const existing = protocols.get(item.id);
        if (existing) throw duplicateId('protocol', item.id, existing.owner.label, label);
        const entry: ProtocolEntry = {
          contribution: contributionOfProtocol(item),
          owner,
          implementation: item,
        };
        protocols.set(item.id, entry);
        registration = toDisposable(() => {
          if (protocols.get(item.id) === entry) protocols.delete(item.id);
        });
      } else {
        const existing = providers.get(item.id);
        if (existing) throw duplicateId('authProvider', item.id, existing.owner.label, label);
        const entry: ProviderEntry = { contribution: contributionOfProvider(item), owner, definition: item };
        providers.set(item.id, entry);
        registration = toDisposable(() => {
          if (providers.get(item.id) === entry) providers.delete(item.id);
        });
      }
      stack.push(registration);
      return registration;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      const items = stack.splice(0);
      await disposeAll(items);
    },
  };
}
