import type { AuthProvider, AuthProviderCapabilities } from '../spec/v1/auth-provider.js';
import type { Disposable } from '../spec/v1/disposable.js';
import type { DeprecationNotice, MailProtocol, Security } from '../spec/v1/protocol.js';
import type { SettingsSchema } from '../spec/v1/settings.js';

/**
 * What an adapter package declares under the `mailplug` key of its package.json. The registry
 * reads this without importing the package; the package's main entry (`exports["."]`) must
 * export `activate(context)`, which is imported only on first use of one of its ids.
 *
 * @example
 * // package.json
 * "mailplug": {
 *   "specificationVersion": "v1",
 *   "authProviders": [{ "id": "basic", "label": "Password", "capabilities": {...}, "settingsSchema": {...} }]
 * }
 */
export interface AdapterManifest {
  readonly specificationVersion: 'v1';
  readonly authProviders?: readonly AuthProviderContribution[];
  readonly protocols?: readonly ProtocolContribution[];
}

export interface AuthProviderContribution {
  readonly id: string;
  readonly label: string;
  readonly description?: string;
  readonly capabilities: AuthProviderCapabilities;
  readonly settingsSchema: SettingsSchema;
  /** Set when hosts should steer admins to another provider (e.g. basic auth on Microsoft 365). */
  readonly deprecated?: DeprecationNotice;
}

export interface ProtocolContribution {
  readonly id: string;
  readonly label: string;
  readonly direction: 'send' | 'receive';
  readonly description?: string;
  readonly defaultPorts: Readonly<Record<Security, number>>;
  readonly deprecated?: DeprecationNotice;
}

/** Handed to an adapter's `activate`. Everything registered is disposed with the registry. */
export interface ActivationContext {
  /** The package being activated. */
  readonly packageName: string;
  registerAuthProvider(definition: AuthProvider): Disposable;
  registerProtocol(protocol: MailProtocol): Disposable;
  /** Disposed, last first, when the registry is disposed. */
  readonly subscriptions: Disposable[];
}

/** The shape of an adapter package's entry module, as the registry imports it. */
export interface AdapterModule {
  activate(context: ActivationContext): void | Promise<void>;
  deactivate?(): void | Promise<void>;
}
