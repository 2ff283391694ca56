import { readAdapterManifest } from '@mailplug/core';
import packageJson from '../package.json';

// The `mailplug` key of package.json is the one source of ids, labels, capabilities and settings
// schemas: the registry reads it without loading this code, and the code reads it back here.
const manifest = readAdapterManifest(packageJson);

export const gmailOAuthContribution = manifest.authProvider('gmail-oauth');
export const googleServiceAccountContribution = manifest.authProvider('google-service-account');
