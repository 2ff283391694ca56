import { type AuthProvider, createProviderSettings, type SecretRef } from '@mailplug/core';
import { createGmailOAuthSession, type GmailOAuthSessionOptions } from './gmail-oauth-session.js';
import { validateGmailOAuthSettings } from './gmail-settings.js';
import { gmailOAuthContribution } from './manifest.js';

export interface GmailOAuthOptions extends GmailOAuthSessionOptions {
  /** Register under another id (e.g. two labelled variants). Default `gmail-oauth`. */
  readonly id?: string;
  /** The label hosts show. Default: the manifest's. */
  readonly label?: string;
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
  const id = options.id ?? gmailOAuthContribution.id;
  const settings = createProviderSettings({
    schema: gmailOAuthContribution.settingsSchema,
    hostSettings: { clientId: options.clientId, clientSecret: options.clientSecret },
    validate: validateGmailOAuthSettings,
  });
  return {
    specificationVersion: 'v1',
    id,
    label: options.label ?? gmailOAuthContribution.label,
    settingsSchema: settings.settingsSchema,
    capabilities: gmailOAuthContribution.capabilities,
    validateSettings: settings.validateSettings,
    createSession: (init) => createGmailOAuthSession(id, settings.read(init), init, options),
  };
}

/** The default instance, registered by `activate`. */
export const gmailOAuth: AuthProvider = createGmailOAuth();
