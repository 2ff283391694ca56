/**
 * @mailplug/auth-basic — username + password (basic auth) provider for SMTP, IMAP and POP3.
 */
import type { ActivationContext } from '@mailplug/core';
import { basicAuth } from './basic-auth.js';

export {
  BASIC_AUTH_PROVIDER_ID,
  type BasicAuthOptions,
  type BasicAuthSettings,
  basicAuth,
  createBasicAuth,
} from './basic-auth.js';

/** Called by the Mailplug registry on first use of the `basic` provider id. */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerAuthProvider(basicAuth));
}
