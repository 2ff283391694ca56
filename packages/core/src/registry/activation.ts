/**
 * Activating one adapter package: import its entry, call `activate(context)`, hold it to its
 * manifest (only declared ids, every declared id, spec v1, matching protocol direction) and hand
 * back the teardown that deactivates it and disposes what it registered.
 */
import { pathToFileURL } from 'node:url';
import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import { type Disposable, disposeAll, toDisposable } from '../spec/v1/disposable.js';
import { isMailplugError, type MailplugError } from '../spec/v1/mailplug-error.js';
import {
  type ContributionKind,
  duplicateId,
  KIND_LABEL,
  type PackageState,
  type RegistryEntries,
} from './entries.js';
import type { ActivationContext, AdapterModule } from './manifest.js';

function activationFailed(state: PackageState, what: string, hint: string, cause?: unknown): MailplugError {
  return mailplugError(
    CoreErrorCode.RegistryActivationFailed,
    'developer',
    `Activating ${state.pkg.name} failed: ${what}`,
    hint,
    { cause, details: { packageName: state.pkg.name, entry: state.pkg.entryFile } },
  );
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

async function importAdapter(state: PackageState): Promise<AdapterModule> {
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
  return mod as AdapterModule;
}

/**
 * Imports and activates `state`'s package; on success returns its teardown (the caller marks the
 * package active and keeps the teardown for dispose). On failure everything it registered is
 * undone and a REGISTRY_ACTIVATION_FAILED error is thrown.
 */
export async function activatePackage(state: PackageState, entries: RegistryEntries): Promise<Disposable> {
  const { pkg } = state;
  const { providers, protocols } = entries;
  const mod = await importAdapter(state);
  const registrations: Disposable[] = [];
  const subscriptions: Disposable[] = [];
  const undeclared = (kind: ContributionKind, id: string) =>
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
      if (entry.definition) throw duplicateId('authProvider', definition.id, pkg.name, pkg.name);
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
      if (entry.implementation) throw duplicateId('protocol', protocol.id, pkg.name, pkg.name);
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
  return teardown;
}
