/**
 * @mailplug/core — the Mailplug contracts (spec v1), registry, accounts, secrets, tokens, errors
 * and the mailer facade. This file is the package's only public entry.
 */

export * from './accounts/index.js';
export * from './errors/codes.js';
export * from './keepalive/index.js';
export * from './mailer/index.js';
export * from './receive/index.js';
export * from './registry/index.js';
export * from './secrets/index.js';
export * from './session/index.js';
export * from './signin/index.js';
export * from './spec/v1/disposable.js';
export type * from './spec/v1/index.js';
export * from './spec/v1/mailplug-error.js';
export { REDACTED, redact, redactValue, registerSecret } from './spec/v1/redact.js';
export * from './tokens/index.js';
export * from './util/atomic-file.js';
export * from './util/backoff.js';
export * from './util/credential-transport.js';
export * from './util/logger.js';
export * from './util/proxy.js';
export * from './util/proxy-agent.js';
