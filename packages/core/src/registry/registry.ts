import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import { isMailplugError, type MailplugError } from '../errors/mailplug-error.js';
import type { AuthProviderDefinition } from '../spec/v1/auth-provider.js';
import type { MailProtocol } from '../spec/v1/protocol.js';
import type { Logger } from '../spec/v1/stores.js';
import { type Disposable, disposeAll, toDisposable } from '../util/disposable.js';
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
import type {
  ActivationContext,
  AdapterModule,
  AuthProviderContribution,
  ProtocolContribution,
} from './manifest.js';
import {
  type AdapterPackage,
  dependencyNames,
  RegistryErrorCode,
  readAdapterPackage,
  readPackageJson,
  resolvePackageDir,
} from './package-reader.js';

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
  peekAuthProvider(id: string): AuthProviderDefinition | undefined;
  getAuthProvider(id: string): Promise<AuthProviderDefinition>;
  getProtocol(id: string): Promise<MailProtocol>;
  /** Programmatic registration for hosts that bundle adapters. Throws REGISTRY_DUPLICATE_ID. */
  register(item: AuthProviderDefinition | MailProtocol, options?: RegisterOptions): Disposable;
  /** Disposes every registration and subscription, last first, calling each package's `deactivate`. */
  dispose(): Promise<void>;
}

interface Owner {
  readonly label: string;
  readonly pkg?: PackageState;
}

interface ProviderEntry {
  readonly contribution: AuthProviderContribution;
  readonly owner: Owner;
  definition?: AuthProviderDefinition;
}

interface ProtocolEntry {
  readonly contribution: ProtocolContribution;
  readonly owner: Owner;
  implementation?: MailProtocol;
}

interface PackageState {
  readonly pkg: AdapterPackage;
  activated: boolean;
  activation?: Promise<void>;
}

const KIND_LABEL = { authProvider: 'Auth provider', protocol: 'Protocol' } as const;

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
        RegistryErrorCode.Disposed,
        'developer',
        'The registry has been disposed.',
        'Create a new registry instead of using one after dispose().',
      );
    }
  };

  function duplicate(
    kind: keyof typeof KIND_LABEL,
    id: string,
    existing: string,
    incoming: string,
  ): MailplugError {
    return mailplugError(
      CoreErrorCode.RegistryDuplicateId,
      'developer',
      `${KIND_LABEL[kind]} id "${id}" is contributed by both ${existing} and ${incoming}.`,
      `Remove one of the two packages from the host's dependencies (ids must be unique; built-ins are never replaced silently).`,
      { details: { kind, id, packages: [existing, incoming] } },
    );
  }

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
      if (existing) throw duplicate('authProvider', c.id, existing.owner.label, pkg.name);
    }
    for (const c of pkg.manifest.protocols ?? []) {
      const existing = protocols.get(c.id);
      if (existing) throw duplicate('protocol', c.id, existing.owner.label, pkg.name);
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

  function activationFailed(state: PackageState, what: string, hint: string, cause?: unknown): MailplugError {
    return mailplugError(
      CoreErrorCode.RegistryActivationFailed,
      'developer',
      `Activating ${state.pkg.name} failed: ${what}`,
      hint,
      { cause, details: { packageName: state.pkg.name, entry: state.pkg.entryFile } },
    );
  }

  async function runActivation(state: PackageState): Promise<void> {
    const { pkg } = state;
    let mod: Partial<AdapterModule>;
    try {
      mod = (await import(pathToFileURL(pkg.entryFile).href)) as Partial<AdapterModule>;
    } catch (cause) {
      throw activationFailed(
        state,
        `its entry ${pkg.entryFile} could not be imported.`,
        `Install and build ${pkg.name} so that its "exports" entry exists, then try again.`,
        cause,
      );
    }
    if (typeof mod.activate !== 'function') {
      throw activationFailed(
        state,
        'its entry does not export activate(context).',
        `Export \`activate(context)\` from the entry of ${pkg.name}.`,
      );
    }
    const registrations: Disposable[] = [];
    const subscriptions: Disposable[] = [];
    const undeclared = (kind: keyof typeof KIND_LABEL, id: string) =>
      activationFailed(
        state,
        `it registered ${KIND_LABEL[kind].toLowerCase()} "${id}", which its package.json "mailplug" manifest does not declare.`,
        `Declare "${id}" in the "mailplug" manifest of ${pkg.name}, or stop registering it.`,
      );
    const context: ActivationContext = {
      packageName: pkg.name,
      subscriptions,
      registerAuthProvider(definition) {
        const entry = providers.get(definition.id);
        if (!entry || entry.owner.pkg !== state) throw undeclared('authProvider', definition.id);
        if (entry.definition) throw duplicate('authProvider', definition.id, pkg.name, pkg.name);
        checkSpec(state, definition.specificationVersion, definition.id);
        entry.definition = definition;
        const registration = toDisposable(() => {
          if (entry.definition === definition) entry.definition = undefined;
        });
        registrations.push(registration);
        return registration;
      },
      registerProtocol(protocol) {
        const entry = protocols.get(protocol.id);
        if (!entry || entry.owner.pkg !== state) throw undeclared('protocol', protocol.id);
        if (entry.implementation) throw duplicate('protocol', protocol.id, pkg.name, pkg.name);
        checkSpec(state, protocol.specificationVersion, protocol.id);
        if (protocol.direction !== entry.contribution.direction) {
          throw activationFailed(
            state,
            `protocol "${protocol.id}" is "${protocol.direction}" but its manifest says "${entry.contribution.direction}".`,
            `Make the manifest of ${pkg.name} and its code agree on the direction.`,
          );
        }
        entry.implementation = protocol;
        const registration = toDisposable(() => {
          if (entry.implementation === protocol) entry.implementation = undefined;
        });
        registrations.push(registration);
        return registration;
      },
    };
    const teardown = toDisposable(async () => {
      state.activated = false;
      try {
        await mod.deactivate?.();
      } finally {
        // disposeAll works last-first: the adapter's subscriptions go first, then its registrations.
        await disposeAll([...registrations, ...subscriptions]);
      }
    });
    try {
      await mod.activate(context);
      for (const c of pkg.manifest.authProviders ?? []) {
        if (!providers.get(c.id)?.definition) throw missing(state, 'auth provider', c.id);
      }
      for (const c of pkg.manifest.protocols ?? []) {
        if (!protocols.get(c.id)?.implementation) throw missing(state, 'protocol', c.id);
      }
    } catch (err) {
      await Promise.resolve(teardown.dispose()).catch(() => undefined);
      if (isMailplugError(err) && err.code === CoreErrorCode.RegistryActivationFailed) throw err;
      throw activationFailed(
        state,
        `activate() threw: ${err instanceof Error ? err.message : String(err)}`,
        `Fix the error in ${pkg.name}'s activate(), or check its configuration.`,
        err,
      );
    }
    state.activated = true;
    stack.push(teardown);
  }

  function missing(state: PackageState, kind: string, id: string): MailplugError {
    return activationFailed(
      state,
      `its manifest declares ${kind} "${id}" but activate() did not register it.`,
      `Register "${id}" in activate(), or remove it from the "mailplug" manifest of ${state.pkg.name}.`,
    );
  }

  function checkSpec(state: PackageState, version: unknown, id: string): void {
    if (version !== 'v1') {
      throw activationFailed(
        state,
        `"${id}" implements specification ${String(version)}, not v1.`,
        `Use a version of ${state.pkg.name} built for @mailplug/core spec v1.`,
      );
    }
  }

  function activate(state: PackageState): Promise<void> {
    if (state.activated) return Promise.resolve();
    // Concurrent first uses share one activation; a failed one may be retried later.
    state.activation ??= runActivation(state).catch((err: unknown) => {
      state.activation = undefined;
      throw err;
    });
    return state.activation;
  }

  function unknown(kind: keyof typeof KIND_LABEL, id: string, known: Iterable<string>): MailplugError {
    const ids = [...known];
    return mailplugError(
      CoreErrorCode.RegistryUnknownId,
      'admin',
      `${KIND_LABEL[kind]} "${id}" is not registered. Known: ${ids.length ? ids.join(', ') : '(none)'}.`,
      `Choose one of the known ids, or install the package that contributes "${id}" and add it to the registry.`,
      { details: { kind, id, known: ids } },
    );
  }

  return {
    discover,
    addPackage,
    list() {
      return [
        ...[...providers.values()].map((e) =>
          providerListing(
            e.contribution,
            e.owner.label,
            e.owner.pkg ? 'manifest' : 'programmatic',
            !!e.definition,
          ),
        ),
        ...[...protocols.values()].map((e) =>
          protocolListing(
            e.contribution,
            e.owner.label,
            e.owner.pkg ? 'manifest' : 'programmatic',
            !!e.implementation,
          ),
        ),
      ];
    },
    describeAuthProvider(id) {
      const e = providers.get(id);
      return (
        e &&
        providerListing(
          e.contribution,
          e.owner.label,
          e.owner.pkg ? 'manifest' : 'programmatic',
          !!e.definition,
        )
      );
    },
    describeProtocol(id) {
      const e = protocols.get(id);
      return (
        e &&
        protocolListing(
          e.contribution,
          e.owner.label,
          e.owner.pkg ? 'manifest' : 'programmatic',
          !!e.implementation,
        )
      );
    },
    peekAuthProvider(id) {
      return providers.get(id)?.definition;
    },
    async getAuthProvider(id) {
      ensureOpen();
      const entry = providers.get(id);
      if (!entry) throw unknown('authProvider', id, providers.keys());
      if (!entry.definition && entry.owner.pkg) await activate(entry.owner.pkg);
      if (!entry.definition) throw unknown('authProvider', id, providers.keys());
      return entry.definition;
    },
    async getProtocol(id) {
      ensureOpen();
      const entry = protocols.get(id);
      if (!entry) throw unknown('protocol', id, protocols.keys());
      if (!entry.implementation && entry.owner.pkg) await activate(entry.owner.pkg);
      if (!entry.implementation) throw unknown('protocol', id, protocols.keys());
      return entry.implementation;
    },
    register(item, registerOptions = {}) {
      ensureOpen();
      const label = `${registerOptions.packageName ?? 'the host'} (register())`;
      const owner: Owner = { label };
      let registration: Disposable;
      if (isMailProtocol(item)) {
        const existing = protocols.get(item.id);
        if (existing) throw duplicate('protocol', item.id, existing.owner.label, label);
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
        if (existing) throw duplicate('authProvider', item.id, existing.owner.label, label);
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
