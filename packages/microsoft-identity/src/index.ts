/**
 * @mailplug/microsoft-identity — what the Microsoft 365 providers share: frozen cloud / scope /
 * app-role data, the Entra ID error table, the msal cache bridge to the core TokenStore and an msal
 * configuration builder that can run offline against a local authority.
 */

export * from './cache-plugin.js';
export * from './clouds.js';
export * from './entra-errors.js';
export * from './msal-config.js';
export * from './network-client.js';
export * from './settings-fields.js';
export * from './tenant.js';
