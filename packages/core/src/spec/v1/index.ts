export type * from './auth-provider.js';
export type * from './credential.js';
export type * from './diagnostics.js';
export type * from './message.js';
export type * from './protocol.js';
export type * from './settings.js';
export type * from './stores.js';
