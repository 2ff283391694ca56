import {
  type AuthorizationStatus,
  type AuthProvider,
  type AuthProviderDefinition,
  type AuthProviderInit,
  type BeginSignInRequest,
  CoreErrorCode,
  type CredentialRequest,
  createRedactingLogger,
  createTokenManager,
  isMailplugError,
  type MailboxIdentity,
  mailplugError,
  type OAuth2Credential,
  registerSecret,
  type SignInCallbackParams,
  type SignInStart,
  type SignOutResult,
  type TokenManagerOptions,
  type TokenSet,
} from '@mailplug/core';
import type { Credentials } from 'google-auth-library';
import { classifyUserOAuthError } from './errors.js';
import { readGmailOAuthSettings, validateGmailOAuthSettings } from './gmail-settings.js';
import { createGmailSignIn, type LoopbackSignInOptions } from './gmail-sign-in.js';
import { createGoogleClients, expiresAtOnSessionClock } from './google-client.js';
import { splitScopes } from './identity.js';
import { GMAIL_OAUTH_PROVIDER_ID, gmailOAuthContribution } from './manifest.js';
import { isGoogleMailProtocol } from './provider-data.js';
import { forwardSessionChanges } from './session-changes.js';

export type { LoopbackSignInOptions } from './gmail-sign-in.js';

export interface GmailOAuthOptions {
  /** Register under another id (e.g. two labelled variants). Default `gmail-oauth`. */
  readonly id?: string;
  readonly label?: string;
  /** Refresh this long before expiry. Default: core's TokenManager default. */
  readonly earlyRefreshMs?: number;
  /** Retry policy for transient token-endpoint failures (core's TokenManager default: 4 attempts, 500 ms base, 30 s ceiling). */
  readonly retry?: TokenManagerOptions['retry'];
  /** How long a started sign-in stays valid. Default: core's default. */
  readonly signInTtlMs?: number;
}

/** A `gmail-oauth` session: the spec's AuthProvider plus a loopback convenience for CLI/desktop hosts. */
export interface GmailOAuthSession extends AuthProvider {
  beginSignIn(request?: BeginSignInRequest): Promise<SignInStart>;
  completeSignIn(params: SignInCallbackParams): Promise<MailboxIdentity>;
  /**
   * Serves a one-shot redirect on `http://127.0.0.1:<ephemeral port>` (core's loopback helper),
   * sends the user to Google, and completes the sign-in when the browser comes back. Needs an
   * OAuth client of type "Desktop app" (Google accepts any loopback port for those).
   */
  signInWithLoopback(options: LoopbackSignInOptions): Promise<MailboxIdentity>;
}

/**
 * Gmail and Google Workspace with a user's own sign-in (OAuth 2.0 authorization code + PKCE,
 * offline access), built on google-auth-library.
 *
 * @example
 * const session = gmailOAuth.create({
 *   accountId: 'practice',
 *   settings: { clientId: '123-abc.apps.googleusercontent.com', clientSecret: { secretRef: 'google-secret' },
 *               redirectUri: 'https://host.example/oauth/google' },
 *   secrets, tokenStore,
 * });
 * const { url } = await session.beginSignIn!();   // send the browser there
 * await session.completeSignIn!(callbackQuery);   // on the redirect
 * const credential = await session.getCredential({ protocol: 'smtp' });
 */
export function createGmailOAuth(options: GmailOAuthOptions = {}): AuthProviderDefinition {
  const id = options.id ?? GMAIL_OAUTH_PROVIDER_ID;
  return {
    specificationVersion: 'v1',
    id,
    label: options.label ?? gmailOAuthContribution.label,
    settingsSchema: gmailOAuthContribution.settingsSchema,
    capabilities: gmailOAuthContribution.capabilities,
    validateSettings: validateGmailOAuthSettings,
    create: (init) => createGmailOAuthSession(id, init, options),
  };
}

/** The default instance, registered by `activate`. */
export const gmailOAuth: AuthProviderDefinition = createGmailOAuth();

function createGmailOAuthSession(
  providerId: string,
  init: AuthProviderInit,
  options: GmailOAuthOptions,
): GmailOAuthSession {
  const settings = readGmailOAuthSettings(init);
  const clients = createGoogleClients(settings, init.secrets);
  const now = init.now ?? Date.now;
  const logger = createRedactingLogger(init.logger);
  const accountId = init.accountId;

  async function refresh(current: TokenSet | undefined): Promise<TokenSet> {
    if (!current?.refreshToken) {
      throw mailplugError(
        CoreErrorCode.SignInRequired,
        'user',
        `Nobody has signed in with Google for account "${accountId}" yet.`,
        'Click "Sign in with Google" in the account settings.',
      );
    }
    const client = await clients.oauthClient();
    // refreshAccessToken() puts the *old* refresh token back into its result, so a rotated one
    // would be lost; the 'tokens' event carries the raw response, which is where we read it.
    let raw: Credentials | undefined;
    const onTokens = (tokens: Credentials) => {
      raw = { ...tokens };
    };
    client.on('tokens', onTokens);
    try {
      client.setCredentials({ refresh_token: current.refreshToken });
      const { credentials } = await client.refreshAccessToken();
      const response = raw ?? credentials;
      if (!response.access_token) throw new Error('Google answered the refresh without an access token.');
      registerSecret(response.access_token);
      const rotated =
        raw?.refresh_token && raw.refresh_token !== current.refreshToken ? raw.refresh_token : undefined;
      if (rotated) {
        registerSecret(rotated);
        logger.info('Google rotated the refresh token; saving the new one.', { accountId });
      }
      return {
        ...current,
        accessToken: response.access_token,
        expiresAt: expiresAtOnSessionClock(response.expiry_date, now),
        refreshToken: rotated ?? current.refreshToken,
        scopes: response.scope ? splitScopes(response.scope) : current.scopes,
      };
    } finally {
      client.off('tokens', onTokens);
    }
  }

  const tokens = createTokenManager({
    accountId,
    store: init.tokenStore,
    refresh,
    classify: (error: unknown) => classifyUserOAuthError(error, 'Refreshing the Google access token'),
    logger,
    ...(init.now ? { now: init.now } : {}),
    ...(options.earlyRefreshMs !== undefined ? { earlyRefreshMs: options.earlyRefreshMs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
  const sessionChanges = forwardSessionChanges(tokens, accountId);

  const signIn = createGmailSignIn({
    init,
    settings,
    clients,
    tokens,
    logger,
    ...(options.signInTtlMs !== undefined ? { signInTtlMs: options.signInTtlMs } : {}),
    onSignedIn: (identity) => sessionChanges.fire({ type: 'added', accountId, identity }),
  });

  function identityOf(set: TokenSet): MailboxIdentity {
    const extra = set.extra ?? {};
    return {
      mailbox: set.user,
      ...(typeof extra.subject === 'string' ? { subject: extra.subject } : {}),
      ...(typeof extra.displayName === 'string' ? { displayName: extra.displayName } : {}),
      ...(typeof extra.hostedDomain === 'string' ? { tenantId: extra.hostedDomain } : {}),
    };
  }

  return {
    providerId,
    accountId,
    onDidChangeSession: sessionChanges.event,
    ...signIn,

    async getCredential(request: CredentialRequest): Promise<OAuth2Credential> {
      if (!isGoogleMailProtocol(request.protocol) || (settings.sendOnly && request.protocol !== 'smtp')) {
        throw mailplugError(
          CoreErrorCode.ProtocolMismatch,
          'admin',
          `The Google account "${accountId}" is not set up for ${request.protocol}.`,
          settings.sendOnly
            ? 'Turn off "Send only" in the account settings to use this account for receiving mail.'
            : 'Use SMTP, IMAP or POP3 with Gmail.',
          { details: { protocol: request.protocol } },
        );
      }
      return tokens.getCredential(request);
    },

    async checkAuthorization(): Promise<AuthorizationStatus> {
      const stored = await tokens.load();
      const state = await tokens.state();
      if (!stored || state !== 'authorized') {
        return {
          state,
          grantedScopes: stored?.scopes ?? [],
          ...(stored ? { identity: identityOf(stored) } : {}),
        };
      }
      // A live check, like the seeds' "Check Authorisation": silently obtain a usable token.
      try {
        const credential = await tokens.getCredential({ protocol: 'smtp' });
        const fresh = (await tokens.load()) ?? stored;
        return {
          state: 'authorized',
          identity: identityOf(fresh),
          grantedScopes: fresh.scopes,
          accessTokenExpiresAt: credential.expiresAt,
        };
      } catch (error) {
        if (!isMailplugError(error)) throw error;
        const problemState =
          error.action === 'user'
            ? 'reauthRequired'
            : error.action === 'retry'
              ? 'authorized'
              : 'misconfigured';
        return {
          state: problemState,
          identity: identityOf(stored),
          grantedScopes: stored.scopes,
          problem: error,
        };
      }
    },

    async signOut(): Promise<SignOutResult> {
      const stored = await tokens.load();
      const token = stored?.refreshToken ?? stored?.accessToken;
      let result: SignOutResult = { revocation: 'nothing-to-revoke' };
      if (token) {
        try {
          const client = await clients.oauthClient();
          // Revoking the refresh token ends the whole grant, access tokens included.
          await client.revokeToken(token);
          result = { revocation: 'revoked' };
        } catch (error) {
          const mapped = classifyUserOAuthError(error, 'Revoking the Google grant');
          // invalid_token / invalid_grant: Google already forgot it — nothing left to revoke.
          logger.warn('Could not revoke the Google grant; forgetting the local tokens anyway.', {
            accountId,
            code: mapped.code,
          });
          result = {
            revocation: 'failed',
            error: mailplugError(
              mapped.code,
              mapped.action,
              'Could not revoke the Google grant; the local tokens were forgotten anyway.',
              mapped.hint,
              { cause: mapped },
            ),
          };
        }
      }
      await sessionChanges.forget();
      return result;
    },

    dispose: () => sessionChanges.dispose(),
  };
}
