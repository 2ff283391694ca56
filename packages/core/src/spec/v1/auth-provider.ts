import type { CredentialRequest, CredentialSource, MailCredential, ProtocolId } from './credential.js';
import type { Disposable, Event } from './disposable.js';
import type { MailplugError } from './mailplug-error.js';
import type { SettingsSchema, ValidationIssue } from './settings.js';
import type { Logger, SecretStore, TokenStore } from './stores.js';

export interface AuthProviderCapabilities {
  /** Sessions have `interactive` (browser sign-in driven by the host). */
  readonly interactive: boolean;
  /** Sessions have `deviceCode` (headless hosts). */
  readonly deviceCode: boolean;
  /** No user ever signs in (client credentials, service accounts). */
  readonly appOnly: boolean;
  /** Protocols this provider can authorise. */
  readonly protocols: readonly ProtocolId[];
  /** The credential kind it yields. */
  readonly credentialKind: MailCredential['kind'];
}

/** The mailbox an account is authorized for (what a host shows under "Check Authorization"). */
export interface MailboxIdentity {
  readonly mailbox: string;
  readonly displayName?: string;
  /** Provider-specific stable subject (Google `sub`, Entra `oid`), never a secret. */
  readonly subject?: string;
  readonly tenantId?: string;
}

export type AuthorizationState =
  /** Credentials are present and the last refresh worked. */
  | 'authorized'
  /** Nobody has signed in yet. */
  | 'signInRequired'
  /** A refresh token died (revoked, expired, password changed): a user must sign in again. */
  | 'reauthRequired'
  /**
   * The identity platform or network failed for a transient reason (throttling, outage, timeout);
   * nothing is wrong with the configuration and nobody needs to act. Try again later.
   */
  | 'temporarilyUnavailable'
  /** Configuration is wrong; an admin must act. */
  | 'misconfigured';

export interface AuthorizationStatus {
  readonly state: AuthorizationState;
  readonly identity?: MailboxIdentity;
  readonly grantedScopes: readonly string[];
  /** When the current access token expires (epoch ms). */
  readonly accessTokenExpiresAt?: number;
  /**
   * When the authorization itself is known to end (epoch ms): the refresh token of a sign-in, or
   * the client secret / certificate of an app-only registration.
   */
  readonly authorizationExpiresAt?: number;
  /** What ends at `authorizationExpiresAt`. Absent: the refresh token of the sign-in. */
  readonly authorizationExpiresWith?: 'refreshToken' | 'clientSecret' | 'certificate';
  /** Present when state is not `authorized`. */
  readonly error?: MailplugError;
}

export interface BeginSignInRequest {
  /** Where the provider redirects back to; defaults to the account's configured redirect URI. */
  readonly redirectUri?: string;
  readonly loginHint?: string;
  /** Protocols the account will use; narrows requested scopes. */
  readonly protocols?: readonly ProtocolId[];
  /**
   * An opaque value tying this sign-in to whoever started it — a web host's session id, a CLI's
   * process. `complete` must present the same value, so a callback from a sign-in someone else
   * started (login CSRF) is refused. Kept only as a hash.
   */
  readonly binding?: string;
}

/** What the host presents when it completes a browser sign-in. */
export interface CompleteSignInOptions {
  /** The `binding` given to `begin`. */
  readonly binding?: string;
  /**
   * The mailbox the sign-in must be for; a different signed-in mailbox is refused with
   * MAILBOX_MISMATCH before anything is stored. The mailer fills in the account's From address;
   * `false` accepts any mailbox (shared mailboxes, aliases).
   */
  readonly expectedMailbox?: string | false;
}

export interface SignInStart {
  /** Send the user's browser here. */
  readonly url: string;
  /** Opaque, single-use, expiring. The host passes it back with the callback parameters. */
  readonly state: string;
  readonly redirectUri: string;
  readonly expiresAt: number;
}

/** Query parameters the identity provider sent to the redirect URI (`code`, `state`, `error`...). */
export type SignInCallbackParams = Readonly<Record<string, string | undefined>>;

export interface DeviceCodePrompt {
  readonly userCode: string;
  readonly verificationUri: string;
  readonly expiresAt: number;
  /** The provider's own sentence to show the user. */
  readonly message: string;
}

export interface DeviceCodeSignInOptions {
  readonly onPrompt: (prompt: DeviceCodePrompt) => void;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  readonly protocols?: readonly ProtocolId[];
}

export type SessionChange =
  | { readonly type: 'added'; readonly accountId: string; readonly identity: MailboxIdentity }
  | { readonly type: 'changed'; readonly accountId: string; readonly reason: 'refreshed' | 'rotated' }
  | { readonly type: 'removed'; readonly accountId: string }
  | { readonly type: 'reauthRequired'; readonly accountId: string; readonly error: MailplugError }
  | {
      readonly type: 'expiringSoon';
      readonly accountId: string;
      readonly what: 'refreshToken' | 'clientSecret' | 'certificate';
      readonly expiresAt: number;
    };

/** What `signOut()` did at the identity provider; local tokens are forgotten in every case. */
export interface SignOutResult {
  /**
   * `revoked`: the grant was revoked; `failed`: revocation was attempted and failed (see `error`);
   * `unsupported`: the provider has no revocation for this kind of sign-in; `nothingToRevoke`:
   * nobody was signed in.
   */
  readonly revocation: 'revoked' | 'failed' | 'unsupported' | 'nothingToRevoke';
  readonly error?: MailplugError;
}

/**
 * Browser sign-in driven by the host: `begin` returns the URL to send the user to, `complete`
 * takes the query parameters the identity platform sent back to the redirect URI. Present on a
 * session only when the provider supports it, and then whole.
 */
export interface InteractiveSignIn {
  begin(request?: BeginSignInRequest): Promise<SignInStart>;
  complete(params: SignInCallbackParams, options?: CompleteSignInOptions): Promise<MailboxIdentity>;
}

/** Device-code sign-in for hosts without a browser (servers, containers). */
export interface DeviceCodeSignIn {
  signIn(options: DeviceCodeSignInOptions): Promise<MailboxIdentity>;
}

/**
 * One account's sign-in, bound to its settings and stores (VS Code's `AuthenticationSession`).
 * Optional capabilities are optional sub-objects: a session either has all of `interactive` or
 * none of it, so callers never need a non-null assertion.
 *
 * @example
 * const session = await mailer.sessionFor(account);
 * if (session.interactive) {
 *   const { url } = await session.interactive.begin({ redirectUri });
 *   redirectBrowserTo(url);
 * }
 */
export interface AuthSession extends CredentialSource, Disposable {
  readonly providerId: string;
  readonly accountId: string;
  /** Present when the provider supports a host-driven browser sign-in. */
  readonly interactive?: InteractiveSignIn;
  /** Present when the provider supports device-code sign-in. */
  readonly deviceCode?: DeviceCodeSignIn;
  /** Silent; the only call on the send path. Throws a MailplugError, never prompts. */
  getCredential(request: CredentialRequest): Promise<MailCredential>;
  checkAuthorization(): Promise<AuthorizationStatus>;
  /**
   * Revoke where the provider supports it, then forget every stored token — the local forget
   * happens even when revocation fails. Says what happened at the identity provider.
   */
  signOut(): Promise<SignOutResult>;
  readonly onDidChangeSession: Event<SessionChange>;
  /**
   * Optional: lets a provider enrich a protocol failure with what only it knows — e.g. an
   * Exchange `535 5.7.3` after a valid app-only token becomes the Exchange PowerShell that grants
   * this app the mailbox. The mailer calls it when a send, connect or "Test connection" step
   * fails and shows the returned error instead, with the original as its `cause`. Return
   * `undefined` for failures the provider does not recognise; never throw.
   *
   * @example
   * diagnose(error) {
   *   return smtpStatusOf(error) === '5.7.3'
   *     ? mailplugError('ACME_MAILBOX_PERMISSION', 'admin', 'Exchange refused the app for the mailbox.',
   *         `Run Add-MailboxPermission -Identity "${mailbox}" -User ${appObjectId} -AccessRights FullAccess.`,
   *         { cause: error })
   *     : undefined;
   * }
   */
  diagnose?(error: unknown): MailplugError | undefined;
}

/** What the host supplies when it binds a provider to an account. */
export interface AuthSessionInit {
  readonly accountId: string;
  /** Settings already validated against the provider's `settingsSchema`. */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly secrets: SecretStore;
  readonly tokenStore: TokenStore;
  readonly logger?: Logger;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/**
 * What a provider package implements: a static description plus a factory for account-bound
 * sessions. `capabilities` is read from the package's manifest (one source); the conformance
 * suite fails when the sessions this provider creates disagree with it.
 */
export interface AuthProvider {
  readonly specificationVersion: 'v1';
  readonly id: string;
  readonly label: string;
  readonly settingsSchema: SettingsSchema;
  readonly capabilities: AuthProviderCapabilities;
  /** Cross-field checks beyond the schema (e.g. app-only refuses `common` as tenant). */
  validateSettings?(settings: Readonly<Record<string, unknown>>): readonly ValidationIssue[];
  createSession(init: AuthSessionInit): AuthSession;
}

export type { SettingsSchema };
