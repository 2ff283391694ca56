export type {
  ActivationContext,
  AdapterManifest,
  AdapterModule,
  AuthProviderContribution,
  ProtocolContribution,
} from './manifest.js';
