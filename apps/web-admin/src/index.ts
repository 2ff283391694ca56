/**
 * @mailplug/web-admin — the sample web host: "Setup → Email" screens on Node's http server.
 */
export type { AdminConfig, AdminUser, MailServerRecord } from './admin-config.js';
export type { FormPresets } from './app-state.js';
export { type Demo, type DemoOptions, demoBanner, startDemo } from './demo.js';
export { createWebAdminHost, type WebAdminHost, type WebAdminHostOptions } from './host.js';
export { startWebAdmin, type WebAdmin, type WebAdminOptions } from './server.js';
export { createPendingCallbacks, type PendingCallbacks, WebAdminErrorCode } from './sign-in.js';
