import {
  type ActivationContext,
  type AuthorizationStatus,
  type AuthProvider,
  type AuthSession,
  type AuthSessionInit,
  authorizationStateFor,
  defineAuthProvider,
  Emitter,
  forgetAccount,
  isMailplugError,
  type PasswordCredential,
  type ProviderInstanceOptions,
  readAdapterManifest,
  resolveSecret,
  type SecretRef,
  type SessionChange,
} from '@mailplug/core';
import packageJson from '../package.json';

// package.json is the one source of id, label, capabilities and settings schema: the registry
// reads it without loading this code, and the code reads it back here.
const contribution = readAdapterManifest(packageJson).authProvider('basic');

/** `id` and `label`, with the same meaning as every provider's (basic auth keeps no tokens to tune). */
export type BasicAuthOptions = ProviderInstanceOptions;

/** The settings an account stores for this provider (validated against the manifest schema). */
export interface BasicAuthSettings {
  readonly username: string;
  readonly password: SecretRef;
}

/**
 * Username + password (basic authentication) for SMTP, IMAP and POP3. The password lives in the
 * host's SecretStore; account settings hold only `{ secretRef }`. A wrong password is detected by
 * the protocol (SMTP `535 5.7.8`), which reports it with action `user`.
 *
 * @example
 * const session = basicAuth.createSession({
 *   accountId: 'acme',
 *   settings: { username: 'ann@example.com', password: { secretRef: 'acme-smtp-password' } },
 *   secrets, tokenStore,
 * });
 * const credential = await session.getCredential({ protocol: 'smtp' }); // { kind: 'password', ... }
 */
export function createBasicAuth(options: BasicAuthOptions = {}): AuthProvider {
  return defineAuthProvider({
    contribution,
    ...(options.id !== undefined ? { id: options.id } : {}),
    ...(options.label !== undefined ? { label: options.label } : {}),
    createSession(values, init, providerId) {
      const username = values.requiredText('username');
      return createBasicAuthSession(
        providerId,
        { username, password: values.requiredSecret('password') },
        init,
      );
    },
  });
}

/** The default instance, registered by `activate`. */
export const basicAuth: AuthProvider = createBasicAuth();

/** Called by the Mailplug registry on first use of the `basic` provider id. */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerAuthProvider(basicAuth));
}

function createBasicAuthSession(
  providerId: string,
  settings: BasicAuthSettings,
  init: AuthSessionInit,
): AuthSession {
  const changes = new Emitter<SessionChange>();
  const password = () => resolveSecret(init.secrets, settings.password, 'the password');

  return {
    providerId,
    accountId: init.accountId,
    onDidChangeSession: changes.event,

    async getCredential(): Promise<PasswordCredential> {
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
        return { state: authorizationStateFor(error), identity, grantedScopes: [], error };
      }
    },

    async signOut() {
      // No grant exists to revoke; the password stays where the host put it (its secret store).
      // Whatever else the account left under its key prefix goes (receive cursors, for example).
      await forgetAccount(init.tokenStore, init.accountId);
      changes.fire({ type: 'removed', accountId: init.accountId });
      return { revocation: 'unsupported' };
    },

    dispose() {
      changes.dispose();
    },
  };
}
