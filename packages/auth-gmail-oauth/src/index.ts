/**
 * @mailplug/auth-gmail-oauth — Gmail and Google Workspace over OAuth 2.0 (google-auth-library):
 * `gmail-oauth` (a user signs in with Google) and `google-service-account` (Workspace
 * domain-wide delegation).
 */

export type { ProxyOptions, TokenTransportOptions } from '@mailplug/core';
export { activate } from './activate.js';
export {
  GmailErrorCode,
  GOOGLE_ERROR_TABLE,
  type GoogleErrorFlow,
  type GoogleErrorRule,
} from './errors.js';
export { createGmailOAuth, type GmailOAuthOptions, gmailOAuth } from './gmail-oauth-provider.js';
export type { GmailOAuthSession } from './gmail-oauth-session.js';
export type { GmailInteractiveSignIn, LoopbackSignInOptions } from './gmail-sign-in.js';
export {
  createGoogleServiceAccount,
  type GoogleServiceAccountOptions,
  googleServiceAccount,
} from './google-service-account-provider.js';
export {
  GMAIL_MAIL_SCOPE,
  GOOGLE_PROVIDER,
  type GoogleEndpoints,
  type MailServerDefault,
} from './provider-data.js';
