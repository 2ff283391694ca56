import {
  type AuthProvider,
  defineAuthProvider,
  type ProviderInstanceOptions,
  type SecretRef,
} from '@mailplug/core';
import { createGmailOAuthSession, type GmailOAuthSessionOptions } from './gmail-oauth-session.js';
import { validateGmailOAuthSettings } from './gmail-settings.js';
import { gmailOAuthContribution } from './manifest.js';

export interface GmailOAuthOptions extends ProviderInstanceOptions, GmailOAuthSessionOptions {
  /**
   * The host's one Google OAuth client, for every account of this provider: accounts may then
   * leave `clientId` / `clientSecret` out, and an account that sets them overrides these.
   */
  readonly clientId?: string;
  /** Reference to the OAuth client secret in the host's secret store. */
  readonly clientSecret?: SecretRef;
}

/**
 * Gmail and Google Workspace with a user's own sign-in (OAuth 2.0 authorization code + PKCE,
 * offline access), built on google-auth-library. Sessions are {@link GmailOAuthSession}s.
 *
 * @example
 * const gmail = createGmailOAuth({ clientId: '123-abc.apps.googleusercontent.com', clientSecret: { secretRef: 'google-secret' } });
 * const session = gmail.createSession({
 *   accountId: 'practice', settings: { redirectUri: 'https://host.example/oauth/google' }, secrets, tokenStore,
 * }) as GmailOAuthSession;
 * const { url } = await session.interactive.begin();   // send the browser there
 * await session.interactive.complete(callbackQuery);   // on the redirect
 * const credential = await session.getCredential({ protocol: 'smtp' });
 */
export function createGmailOAuth(options: GmailOAuthOptions = {}): AuthProvider {
  return defineAuthProvider({
    contribution: gmailOAuthContribution,
    ...(options.id !== undefined ? { id: options.id } : {}),
    ...(options.label !== undefined ? { label: options.label } : {}),
    hostSettings: { clientId: options.clientId, clientSecret: options.clientSecret },
    validate: validateGmailOAuthSettings,
    createSession: (values, init, providerId) => createGmailOAuthSession(providerId, values, init, options),
  });
}

/** The default instance, registered by `activate`. */
export const gmailOAuth: AuthProvider = createGmailOAuth();
