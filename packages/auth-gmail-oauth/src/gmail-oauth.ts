import {
  type AuthorizationStatus,
  type AuthProvider,
  type AuthProviderDefinition,
  type AuthProviderInit,
  type BeginSignInRequest,
  CoreErrorCode,
  type CredentialRequest,
  createPendingSignIns,
  createRedactingLogger,
  createTokenManager,
  Emitter,
  isMailplugError,
  type MailboxIdentity,
  mailplugError,
  type OAuth2Credential,
  type ProtocolId,
  registerSecret,
  resolveSecret,
  type SessionChange,
  type SignInCallbackParams,
  type SignInStart,
  startLoopbackRedirect,
  type TokenManagerOptions,
  type TokenSet,
} from '@mailplug/core';
import { CodeChallengeMethod, type Credentials, OAuth2Client } from 'google-auth-library';
import { classifyCallbackError, classifyUserOAuthError, GmailErrorCode, scopeNotGranted } from './errors.js';
import {
  expectedIssuers,
  isLoopbackUri,
  readGmailOAuthSettings,
  validateGmailOAuthSettings,
} from './gmail-settings.js';
import { grantedScopes, identify, splitScopes } from './identity.js';
import { GMAIL_OAUTH_PROVIDER_ID, gmailOAuthContribution } from './manifest.js';
import {
  GMAIL_MAIL_SCOPE,
  type GoogleEndpoints,
  type GoogleMailProtocol,
  isGoogleMailProtocol,
  resolveEndpoints,
  scopesToRequest,
} from './provider-data.js';
import { transporterOptionsFor, tuneTransporter } from './transport.js';

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

export interface LoopbackSignInOptions {
  /** Open the user's browser (or print the URL) at Google's sign-in page. */
  readonly openUrl: (url: string) => void | Promise<void>;
  /** How long to wait for the browser to come back. Default: core's loopback default (5 minutes). */
  readonly timeoutMs?: number;
  readonly protocols?: readonly ProtocolId[];
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

const PROTOCOLS: readonly GoogleMailProtocol[] = ['smtp', 'imap', 'pop3'];

/** The default instance, registered by `activate`. */
export const gmailOAuth: AuthProviderDefinition = createGmailOAuth();

function createGmailOAuthSession(
  providerId: string,
  init: AuthProviderInit,
  options: GmailOAuthOptions,
): GmailOAuthSession {
  const settings = readGmailOAuthSettings(init);
  const endpoints: GoogleEndpoints = resolveEndpoints(settings as unknown as Record<string, unknown>);
  const issuers = expectedIssuers(settings);
  const transporterOptions = transporterOptionsFor(settings.ca);
  const now = init.now ?? Date.now;
  const logger = createRedactingLogger(init.logger);
  const accountId = init.accountId;
  const sessionChanges = new Emitter<SessionChange>();
  const pending = createPendingSignIns({
    store: init.tokenStore,
    ...(init.now ? { now: init.now } : {}),
    ...(options.signInTtlMs !== undefined ? { ttlMs: options.signInTtlMs } : {}),
  });

  async function oauthClient(redirectUri?: string): Promise<OAuth2Client> {
    const clientSecret = await resolveSecret(init.secrets, settings.clientSecret, 'the Google client secret');
    const client = new OAuth2Client({
      ...(transporterOptions ? { transporterOptions } : {}),
      clientId: settings.clientId,
      clientSecret,
      ...(redirectUri ? { redirectUri } : {}),
      issuers,
      endpoints: {
        oauth2AuthBaseUrl: endpoints.authUrl,
        oauth2TokenUrl: endpoints.tokenUrl,
        oauth2RevokeUrl: endpoints.revokeUrl,
        tokenInfoUrl: endpoints.tokenInfoUrl,
        oauth2FederatedSignonPemCertsUrl: endpoints.certsUrl,
      },
    });
    tuneTransporter(client);
    return client;
  }

  /** google-auth-library stamps expiry with the wall clock; re-base it on the session clock. */
  function expiresAtOf(tokens: Credentials): number {
    const lifetime = typeof tokens.expiry_date === 'number' ? tokens.expiry_date - Date.now() : 3_600_000;
    return now() + Math.max(0, lifetime);
  }

  async function refresh(current: TokenSet | undefined): Promise<TokenSet> {
    if (!current?.refreshToken) {
      throw mailplugError(
        CoreErrorCode.SignInRequired,
        'user',
        `Nobody has signed in with Google for account "${accountId}" yet.`,
        'Click "Sign in with Google" in the account settings.',
      );
    }
    const client = await oauthClient();
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
        expiresAt: expiresAtOf(response),
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
  const forward = tokens.onDidChange((change) => sessionChanges.fire(change));

  function protocolsFor(requested: readonly ProtocolId[] | undefined): GoogleMailProtocol[] {
    if (settings.sendOnly) return ['smtp'];
    const list = (requested ?? PROTOCOLS).filter(isGoogleMailProtocol);
    return list.length > 0 ? list : [...PROTOCOLS];
  }

  async function beginSignIn(request: BeginSignInRequest = {}): Promise<SignInStart> {
    const redirectUri = request.redirectUri ?? settings.redirectUri;
    if (!redirectUri) {
      throw mailplugError(
        CoreErrorCode.ConfigInvalid,
        'admin',
        `The Google account "${accountId}" has no redirect URI.`,
        'Set auth.settings.redirectUri to the callback URL registered on the OAuth client (or http://127.0.0.1 for a CLI/desktop host).',
      );
    }
    const client = await oauthClient(redirectUri);
    const pkce = await client.generateCodeVerifierAsync();
    if (!pkce.codeChallenge) throw new Error('google-auth-library produced no PKCE code challenge.');
    const protocols = protocolsFor(request.protocols);
    // The verifier stays on our side, in the token store with the single-use state.
    const { state, expiresAt } = await pending.issue(accountId, {
      codeVerifier: pkce.codeVerifier,
      redirectUri,
      protocols,
    });
    const loginHint = request.loginHint ?? settings.loginHint ?? settings.mailbox;
    const url = client.generateAuthUrl({
      access_type: 'offline',
      prompt: 'consent',
      scope: scopesToRequest(protocols),
      redirect_uri: redirectUri,
      state,
      code_challenge: pkce.codeChallenge,
      code_challenge_method: CodeChallengeMethod.S256,
      ...(loginHint ? { login_hint: loginHint } : {}),
    });
    return { url, state, redirectUri, expiresAt };
  }

  async function completeSignIn(params: SignInCallbackParams): Promise<MailboxIdentity> {
    // Consume first: a denied or failed callback must burn its state too.
    const consumed = await pending.consume(params.state ?? '');
    if (consumed.accountId !== accountId) {
      throw mailplugError(
        CoreErrorCode.SignInStateInvalid,
        'developer',
        'The sign-in callback belongs to another account.',
        'Complete the sign-in on the account session that started it.',
      );
    }
    if (params.error)
      throw classifyCallbackError({ error: params.error, error_description: params.error_description });
    if (!params.code) {
      throw mailplugError(
        CoreErrorCode.SignInStateInvalid,
        'developer',
        'The sign-in callback carried neither a code nor an error.',
        'Pass every query parameter of the redirect to completeSignIn.',
      );
    }
    const data = consumed.data as { codeVerifier: string; redirectUri: string };
    const client = await oauthClient(data.redirectUri);
    let response: Credentials;
    try {
      ({ tokens: response } = await client.getToken({
        code: params.code,
        codeVerifier: data.codeVerifier,
        redirect_uri: data.redirectUri,
      }));
    } catch (error) {
      const mapped = classifyUserOAuthError(error, 'Exchanging the Google sign-in code');
      // invalid_grant on a *code* means the code is spent or expired, not a dead refresh token.
      if (mapped.code === CoreErrorCode.ReauthRequired) {
        throw mailplugError(
          GmailErrorCode.CodeRejected,
          'user',
          'Google did not accept the sign-in code (it expired or was already used).',
          'Start the sign-in again and complete it within a few minutes.',
          { cause: error },
        );
      }
      throw mapped;
    }
    for (const secret of [response.access_token, response.refresh_token, response.id_token])
      registerSecret(secret);
    const scopes = await grantedScopes(client, response);
    if (!scopes.includes(GMAIL_MAIL_SCOPE)) throw scopeNotGranted(scopes);
    if (!response.refresh_token || !response.access_token) {
      throw mailplugError(
        GmailErrorCode.RefreshTokenMissing,
        'user',
        'Google signed you in but gave no long-lived permission (no refresh token).',
        'Remove the app at myaccount.google.com/permissions, then sign in with Google again.',
      );
    }
    const identity = await identify(client, response, { clientId: settings.clientId, endpoints, issuers });
    if (settings.mailbox && identity.mailbox !== settings.mailbox.toLowerCase()) {
      // Do not keep a grant for a mailbox nobody configured; give it back to Google.
      await client.revokeToken(response.refresh_token).catch(() => undefined);
      throw mailplugError(
        GmailErrorCode.WrongAccount,
        'user',
        `You signed in as ${identity.mailbox}, but this account is set up for ${settings.mailbox}.`,
        `Sign in again and choose ${settings.mailbox} on Google's account chooser (or change the account's mailbox setting).`,
        { details: { expected: settings.mailbox, actual: identity.mailbox } },
      );
    }
    await tokens.save({
      accessToken: response.access_token,
      expiresAt: expiresAtOf(response),
      refreshToken: response.refresh_token,
      scopes,
      user: identity.mailbox,
      extra: {
        ...(identity.subject ? { subject: identity.subject } : {}),
        ...(identity.displayName ? { displayName: identity.displayName } : {}),
        ...(identity.tenantId ? { hostedDomain: identity.tenantId } : {}),
      },
    });
    logger.info('Signed in with Google.', { accountId, mailbox: identity.mailbox });
    sessionChanges.fire({ type: 'added', accountId, identity });
    return identity;
  }

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
    beginSignIn,
    completeSignIn,

    async signInWithLoopback(loopbackOptions: LoopbackSignInOptions): Promise<MailboxIdentity> {
      const configured = isLoopbackUri(settings.redirectUri) ? new URL(settings.redirectUri) : undefined;
      const path = configured && configured.pathname !== '/' ? configured.pathname : '/callback';
      const lb = await startLoopbackRedirect({
        path,
        ...(loopbackOptions.timeoutMs !== undefined ? { timeoutMs: loopbackOptions.timeoutMs } : {}),
      });
      try {
        const start = await beginSignIn({
          redirectUri: lb.redirectUri,
          ...(loopbackOptions.protocols ? { protocols: loopbackOptions.protocols } : {}),
        });
        await loopbackOptions.openUrl(start.url);
        return await completeSignIn(await lb.waitForCallback());
      } finally {
        await lb.close();
      }
    },

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

    async signOut(): Promise<void> {
      const stored = await tokens.load();
      const token = stored?.refreshToken ?? stored?.accessToken;
      if (token) {
        try {
          const client = await oauthClient();
          // Revoking the refresh token ends the whole grant, access tokens included.
          await client.revokeToken(token);
        } catch (error) {
          const mapped = classifyUserOAuthError(error, 'Revoking the Google grant');
          // invalid_token / invalid_grant: Google already forgot it — nothing left to revoke.
          logger.warn('Could not revoke the Google grant; forgetting the local tokens anyway.', {
            accountId,
            code: mapped.code,
          });
        }
      }
      await tokens.clear();
      sessionChanges.fire({ type: 'removed', accountId });
    },

    async dispose() {
      forward.dispose();
      await tokens.dispose();
      sessionChanges.dispose();
    },
  };
}
