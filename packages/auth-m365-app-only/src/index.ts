/**
 * @mailplug/auth-m365-app-only — Microsoft 365 service mailboxes with client credentials (secret or
 * certificate) on @azure/msal-node, plus diagnostics that name the missing Exchange step.
 */
export { M365AppOnlyDiagnosisCode } from './diagnose.js';
export {
  activate,
  createM365AppOnly,
  type M365AppOnlyOptions,
  m365AppOnly,
} from './m365-app-only-provider.js';
export type { M365AppOnlySession } from './m365-app-only-session.js';
