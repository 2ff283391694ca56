/**
 * What the registry keeps per contributed id and per adapter package, and the errors about ids
 * (duplicate, unknown) that both registration and activation raise.
 */
import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { AuthProvider } from '../spec/v1/auth-provider.js';
import type { MailplugError } from '../spec/v1/mailplug-error.js';
import type { MailProtocol } from '../spec/v1/protocol.js';
import type { AuthProviderContribution, ProtocolContribution } from './manifest.js';
import type { AdapterPackage } from './package-reader.js';

/** Who contributed an id: an adapter package (`pkg`), or host code through `register()`. */
export interface Owner {
  readonly label: string;
  readonly pkg?: PackageState;
}

export interface ProviderEntry {
  readonly contribution: AuthProviderContribution;
  readonly owner: Owner;
  definition?: AuthProvider | undefined;
}

export interface ProtocolEntry {
  readonly contribution: ProtocolContribution;
  readonly owner: Owner;
  implementation?: MailProtocol | undefined;
}

export interface PackageState {
  readonly pkg: AdapterPackage;
  activated: boolean;
  activation?: Promise<void> | undefined;
}

/** The registry's tables, shared with package activation. */
export interface RegistryEntries {
  readonly providers: Map<string, ProviderEntry>;
  readonly protocols: Map<string, ProtocolEntry>;
}

export type ContributionKind = 'authProvider' | 'protocol';

export const KIND_LABEL: Readonly<Record<ContributionKind, string>> = {
  authProvider: 'Auth provider',
  protocol: 'Protocol',
};

export function duplicateId(
  kind: ContributionKind,
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

export function unknownId(kind: ContributionKind, id: string, known: Iterable<string>): MailplugError {
  const ids = [...known];
  return mailplugError(
    CoreErrorCode.RegistryUnknownId,
    'admin',
    `${KIND_LABEL[kind]} "${id}" is not registered. Known: ${ids.length ? ids.join(', ') : '(none)'}.`,
    `Choose one of the known ids, or install the package that contributes "${id}" and add it to the registry.`,
    { details: { kind, id, known: ids } },
  );
}
