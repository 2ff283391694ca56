export type {
  AuthProviderListing,
  Contribution,
  ContributionSource,
  ProtocolListing,
} from './contributions.js';
export type {
  ActivationContext,
  AdapterManifest,
  AdapterModule,
  AuthProviderContribution,
  ProtocolContribution,
} from './manifest.js';
export { type AdapterManifestReader, readAdapterManifest } from './manifest-reader.js';
export { createRegistry, type RegisterOptions, type Registry, type RegistryOptions } from './registry.js';
