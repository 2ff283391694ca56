/**
 * @mailplug/auth-basic — username + password (basic auth) provider for SMTP, IMAP and POP3.
 */
export {
  activate,
  type BasicAuthOptions,
  type BasicAuthSettings,
  basicAuth,
  createBasicAuth,
} from './basic-auth-provider.js';
