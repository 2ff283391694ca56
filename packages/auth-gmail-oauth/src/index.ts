/**
 * @mailplug/auth-gmail-oauth — Gmail and Google Workspace over OAuth 2.0 (google-auth-library):
 * `gmail-oauth` (a user signs in with Google) and `google-service-account` (Workspace
 * domain-wide delegation).
 */
import type { ActivationContext } from '@mailplug/core';
import { gmailOAuth } from './gmail-oauth.js';
import { googleServiceAccount } from './service-account.js';

export { GmailErrorCode } from './errors.js';
export {
  createGmailOAuth,
  type GmailOAuthOptions,
  type GmailOAuthSession,
  gmailOAuth,
  type LoopbackSignInOptions,
} from './gmail-oauth.js';
export { type GmailOAuthSettings, validateGmailOAuthSettings } from './gmail-settings.js';
export { GMAIL_OAUTH_PROVIDER_ID, GOOGLE_SERVICE_ACCOUNT_PROVIDER_ID } from './manifest.js';
export {
  GMAIL_MAIL_SCOPE,
  GOOGLE_PROVIDER,
  type GoogleEndpoints,
  type MailServerDefault,
  resolveEndpoints,
  scopesForProtocol,
  scopesToRequest,
} from './provider-data.js';
export {
  createGoogleServiceAccount,
  type GoogleServiceAccountOptions,
  type GoogleServiceAccountSettings,
  googleServiceAccount,
  parseServiceAccountKey,
  type ServiceAccountKey,
} from './service-account.js';

/** Called by the Mailplug registry on first use of `gmail-oauth` or `google-service-account`. */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerAuthProvider(gmailOAuth));
  context.subscriptions.push(context.registerAuthProvider(googleServiceAccount));
}
