import type { AuthProviderContribution } from '../registry/manifest.js';
import type { AuthProvider, AuthSession, AuthSessionInit } from '../spec/v1/auth-provider.js';
import type { ValidationIssue } from '../spec/v1/settings.js';
import { createProviderSettings, type SettingsValues } from './provider-settings.js';

/**
 * What every provider factory accepts to name its instance, with the same meaning everywhere.
 *
 * @example
 * const legacy = createBasicAuth({ id: 'basic-legacy', label: 'Password (legacy server)' });
 */
export interface ProviderInstanceOptions {
  /** Register under another id (a second, differently configured instance). Default: the manifest's. */
  readonly id?: string | undefined;
  /** The label hosts show. Default: the manifest's. */
  readonly label?: string | undefined;
}

export interface DefineAuthProviderOptions extends ProviderInstanceOptions {
  /** The provider's entry of its package manifest (`readAdapterManifest(pkg).authProvider(id)`). */
  readonly contribution: AuthProviderContribution;
  /** Settings the host gives once for every account; account settings override them. */
  readonly hostSettings?: Readonly<Record<string, unknown>>;
  /** Cross-field checks beyond the schema; they see account settings merged over the host's. */
  readonly validate?: (settings: Readonly<Record<string, unknown>>) => readonly ValidationIssue[];
  /** Binds one account: `values` are its validated settings merged over the host's, defaults applied. */
  createSession(values: SettingsValues, init: AuthSessionInit, providerId: string): AuthSession;
}

/**
 * An `AuthProvider` whose id, label, capabilities and settings schema come from the package
 * manifest, with host-wide settings folded in and every account's settings validated before
 * `createSession` sees them.
 *
 * @example
 * const contribution = readAdapterManifest(packageJson).authProvider('acme-oauth');
 * export function createAcmeOAuth(options: AcmeOAuthOptions = {}): AuthProvider {
 *   return defineAuthProvider({
 *     contribution, id: options.id, label: options.label,
 *     hostSettings: { clientId: options.clientId },
 *     createSession: (values, init, providerId) => createAcmeSession(providerId, values, init, options),
 *   });
 * }
 */
export function defineAuthProvider(options: DefineAuthProviderOptions): AuthProvider {
  const { contribution } = options;
  const id = options.id ?? contribution.id;
  const settings = createProviderSettings({
    schema: contribution.settingsSchema,
    ...(options.hostSettings ? { hostSettings: options.hostSettings } : {}),
    ...(options.validate ? { validate: options.validate } : {}),
  });
  return {
    specificationVersion: 'v1',
    id,
    label: options.label ?? contribution.label,
    settingsSchema: settings.settingsSchema,
    capabilities: contribution.capabilities,
    ...(options.validate ? { validateSettings: settings.validateSettings } : {}),
    createSession: (init) => options.createSession(settings.read(init), init, id),
  };
}
