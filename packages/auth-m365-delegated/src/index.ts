/**
 * @mailplug/auth-m365-delegated — Microsoft 365 mail with a user's own sign-in (authorization code
 * + PKCE, device code, SSO hand-off) on @azure/msal-node.
 */
export type { DelegatedInteractiveSignIn, SignInExtras } from './interactive-sign-in.js';
export {
  activate,
  createM365Delegated,
  type M365DelegatedOptions,
  m365Delegated,
} from './m365-delegated-provider.js';
export type { M365DelegatedSession } from './m365-delegated-session.js';
export type { ExistingAccountHandoff, HandoffResult, M365SsoHandoff } from './sso.js';
