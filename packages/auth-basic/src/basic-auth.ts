import {
  type AdapterManifest,
  type AuthorizationStatus,
  type AuthProvider,
  type AuthProviderContribution,
  type AuthProviderDefinition,
  type AuthProviderInit,
  CoreErrorCode,
  type CredentialRequest,
  Emitter,
  isMailplugError,
  isSecretRef,
  mailplugError,
  type PasswordCredential,
  resolveSecret,
  type SessionChange,
} from '@mailplug/core';
import { mailplug as manifestJson } from '../package.json';

// The manifest in package.json is the single source of truth for id, label, capabilities and the
// settings schema: the registry reads it without loading this code, and the code reads it back here.
const contribution = (manifestJson as unknown as AdapterManifest)
  .authProviders?.[0] as AuthProviderContribution;

export const BASIC_AUTH_PROVIDER_ID = contribution.id;

export interface BasicAuthOptions {
  /** Register the provider under another id (e.g. to offer two labelled variants). Default `basic`. */
  readonly id?: string;
  readonly label?: string;
}

/** The settings an account stores for this provider (validated against the manifest schema). */
export interface BasicAuthSettings {
  readonly username: string;
  readonly password: { readonly secretRef: string };
}

/**
 * Username + password (basic authentication) for SMTP, IMAP and POP3. The password lives in the
 * host's SecretStore; account settings hold only `{ secretRef }`. A wrong password is detected by
 * the protocol (SMTP `535 5.7.8`), which reports it with action `user`.
 *
 * @example
 * const registry = ...; registry.registerAuthProvider(createBasicAuth());
 * const session = basicAuth.create({
 *   accountId: 'acme',
 *   settings: { username: 'ann@example.com', password: { secretRef: 'acme-smtp-password' } },
 *   secrets, tokenStore,
 * });
 * const credential = await session.getCredential({ protocol: 'smtp' }); // { kind: 'password', ... }
 */
export function createBasicAuth(options: BasicAuthOptions = {}): AuthProviderDefinition {
  return {
    specificationVersion: 'v1',
    id: options.id ?? contribution.id,
    label: options.label ?? contribution.label,
    settingsSchema: contribution.settingsSchema,
    capabilities: contribution.capabilities,
    create: (init) => createBasicAuthSession(options.id ?? contribution.id, init),
  };
}

/** The default instance, registered by `activate`. */
export const basicAuth: AuthProviderDefinition = createBasicAuth();

function readSettings(init: AuthProviderInit): BasicAuthSettings {
  const { username, password } = init.settings;
  if (typeof username !== 'string' || username.length === 0 || !isSecretRef(password)) {
    throw mailplugError(
      CoreErrorCode.ConfigInvalid,
      'admin',
      `The password account "${init.accountId}" needs a username and a password secret reference.`,
      'Set auth.settings.username and auth.settings.password to { "secretRef": "<name in the secret store>" }.',
      { details: { accountId: init.accountId } },
    );
  }
  return { username, password };
}

function createBasicAuthSession(providerId: string, init: AuthProviderInit): AuthProvider {
  const settings = readSettings(init);
  const sessionChanges = new Emitter<SessionChange>();
  const password = () => resolveSecret(init.secrets, settings.password, 'the password');

  return {
    providerId,
    accountId: init.accountId,
    onDidChangeSession: sessionChanges.event,

    async getCredential(_request: CredentialRequest): Promise<PasswordCredential> {
      // Nothing to cache or refresh: the secret store is the source of truth, and reading it on
      // every call picks up a rotated password without restarting the host.
      return { kind: 'password', user: settings.username, password: await password() };
    },

    async checkAuthorization(): Promise<AuthorizationStatus> {
      const identity = { mailbox: settings.username };
      try {
        await password();
        return { state: 'authorized', identity, grantedScopes: [] };
      } catch (error) {
        if (!isMailplugError(error)) throw error;
        return { state: 'misconfigured', identity, grantedScopes: [], problem: error };
      }
    },

    async signOut() {
      // Basic auth keeps no tokens; the password stays where the host put it (its secret store).
      sessionChanges.fire({ type: 'removed', accountId: init.accountId });
    },

    dispose() {
      sessionChanges.dispose();
    },
  };
}
