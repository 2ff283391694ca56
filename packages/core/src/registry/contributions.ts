import type { AuthProvider, AuthProviderCapabilities } from '../spec/v1/auth-provider.js';
import type { ProtocolId } from '../spec/v1/credential.js';
import type { DeprecationNotice, MailProtocol, Security } from '../spec/v1/protocol.js';
import type { SettingsSchema } from '../spec/v1/settings.js';
import type { AuthProviderContribution, ProtocolContribution } from './manifest.js';

/** Where a contribution came from: a package.json manifest, or `registry.register()` in host code. */
export type ContributionSource = 'manifest' | 'programmatic';

/** An auth provider as `registry.list()` shows it: everything a settings screen needs, no code loaded. */
export interface AuthProviderListing {
  readonly kind: 'authProvider';
  readonly id: string;
  readonly label: string;
  readonly description?: string;
  readonly capabilities: AuthProviderCapabilities;
  /** Shorthand for `capabilities.protocols`. */
  readonly protocols: readonly ProtocolId[];
  readonly settingsSchema: SettingsSchema;
  readonly deprecated?: DeprecationNotice;
  readonly packageName: string;
  readonly source: ContributionSource;
  /** Whether the owning package's code has been loaded. */
  readonly activated: boolean;
}

/** A protocol as `registry.list()` shows it. */
export interface ProtocolListing {
  readonly kind: 'protocol';
  readonly id: ProtocolId;
  readonly label: string;
  readonly description?: string;
  readonly direction: 'send' | 'receive';
  readonly defaultPorts: Readonly<Record<Security, number>>;
  readonly deprecated?: DeprecationNotice;
  readonly packageName: string;
  readonly source: ContributionSource;
  readonly activated: boolean;
}

export type Contribution = AuthProviderListing | ProtocolListing;

export function providerListing(
  c: AuthProviderContribution,
  packageName: string,
  source: ContributionSource,
  activated: boolean,
): AuthProviderListing {
  return {
    kind: 'authProvider',
    id: c.id,
    label: c.label,
    ...(c.description !== undefined ? { description: c.description } : {}),
    capabilities: c.capabilities,
    protocols: c.capabilities.protocols,
    settingsSchema: c.settingsSchema,
    ...(c.deprecated !== undefined ? { deprecated: c.deprecated } : {}),
    packageName,
    source,
    activated,
  };
}

export function protocolListing(
  c: ProtocolContribution,
  packageName: string,
  source: ContributionSource,
  activated: boolean,
): ProtocolListing {
  return {
    kind: 'protocol',
    id: c.id,
    label: c.label,
    ...(c.description !== undefined ? { description: c.description } : {}),
    direction: c.direction,
    defaultPorts: c.defaultPorts,
    ...(c.deprecated !== undefined ? { deprecated: c.deprecated } : {}),
    packageName,
    source,
    activated,
  };
}

/** The manifest-shaped description of a definition registered in code. */
export function contributionOfProvider(d: AuthProvider): AuthProviderContribution {
  return { id: d.id, label: d.label, capabilities: d.capabilities, settingsSchema: d.settingsSchema };
}

export function contributionOfProtocol(p: MailProtocol): ProtocolContribution {
  return {
    id: p.id,
    label: p.label,
    direction: p.direction,
    defaultPorts: p.defaultPorts,
    ...(p.deprecated ? { deprecated: p.deprecated } : {}),
  };
}

export function isMailProtocol(item: AuthProvider | MailProtocol): item is MailProtocol {
  return 'direction' in item && typeof (item as MailProtocol).connect === 'function';
}
