import type { ActivationContext } from '@mailplug/core';
import { gmailOAuth } from './gmail-oauth-provider.js';
import { googleServiceAccount } from './google-service-account-provider.js';

/** Called by the Mailplug registry on first use of `gmail-oauth` or `google-service-account`. */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerAuthProvider(gmailOAuth));
  context.subscriptions.push(context.registerAuthProvider(googleServiceAccount));
}
