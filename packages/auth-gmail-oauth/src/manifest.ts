import type { AdapterManifest, AuthProviderContribution } from '@mailplug/core';
import packageJson from '../package.json';

// The `mailplug` key of package.json is the single source of truth for ids, labels, capabilities
// and settings schemas: the registry reads it without loading this code, and the code reads it
// back here, so the two can never disagree.
const manifest = packageJson.mailplug as unknown as AdapterManifest;

function contribution(id: string): AuthProviderContribution {
  const found = manifest.authProviders?.find((p) => p.id === id);
  if (!found)
    throw new Error(`package.json of @mailplug/auth-gmail-oauth declares no auth provider "${id}".`);
  return found;
}

export const GMAIL_OAUTH_PROVIDER_ID = 'gmail-oauth';
export const GOOGLE_SERVICE_ACCOUNT_PROVIDER_ID = 'google-service-account';

export const gmailOAuthContribution = contribution(GMAIL_OAUTH_PROVIDER_ID);
export const googleServiceAccountContribution = contribution(GOOGLE_SERVICE_ACCOUNT_PROVIDER_ID);
