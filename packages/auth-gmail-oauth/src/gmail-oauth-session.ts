/** One `gmail-oauth` account: refresh with rotation kept, interactive sign-in, revoke on sign-out. */
import {
  type AuthSession,
  type AuthSessionInit,
  assertProtocolServed,
  CoreErrorCode,
  type CredentialRequest,
  createRedactingLogger,
  createTokenSession,
  expiryOnSessionClock,
  GOOGLE_TESTING_MODE_REFRESH_TOKEN_LIFETIME_MS,
  mailplugError,
  type OAuth2Credential,
  registerSecret,
  type SettingsValues,
  type SignOutResult,
  type TokenSet,
  type TokenTransportOptions,
  type TokenTuningOptions,
} from '@mailplug/core';
import type { Credentials } from 'google-auth-library';
import { classifyUserOAuthError, scopeNotGranted } from './errors.js';
import { parseGmailOAuthSettings } from './gmail-settings.js';
import { createGmailSignIn, type GmailInteractiveSignIn } from './gmail-sign-in.js';
import { createGoogleClients } from './google-client.js';
import { splitScopes } from './identity.js';
import { type GoogleMailProtocol, isGoogleMailProtocol, scopesCoverProtocol } from './provider-data.js';

/** A `gmail-oauth` session: the spec's AuthSession whose `interactive` also runs on loopback. */
export interface GmailOAuthSession extends AuthSession {
  readonly interactive: GmailInteractiveSignIn;
}

/** What the provider factory passes on to each session. */
export interface GmailOAuthSessionOptions extends TokenTuningOptions, TokenTransportOptions {
  /** How long a started sign-in stays valid. Default: core's (10 minutes). */
  readonly signInTtlMs?: number;
}

export function createGmailOAuthSession(
  providerId: string,
  values: SettingsValues,
  init: AuthSessionInit,
  options: GmailOAuthSessionOptions,
): GmailOAuthSession {
  const settings = parseGmailOAuthSettings(values);
  const clients = createGoogleClients(settings, init.secrets, options);
  const facts = { testingMode: settings.testingMode };
  const now = init.now ?? Date.now;
  const logger = createRedactingLogger(init.logger);
  const { accountId } = init;

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
        expiresAt: expiryOnSessionClock(response.expiry_date, now),
        refreshToken: rotated ?? current.refreshToken,
        scopes: response.scope ? splitScopes(response.scope) : current.scopes,
      };
    } finally {
      client.off('tokens', onTokens);
    }
  }

  const session = createTokenSession(init, {
    refresh,
    classify: (error) => classifyUserOAuthError(error, 'Refreshing the Google access token', facts),
    ...(options.earlyRefreshMs !== undefined ? { earlyRefreshMs: options.earlyRefreshMs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });

  const interactive = createGmailSignIn({
    init,
    settings,
    clients,
    tokens: session.tokens,
    logger,
    ...(options.signInTtlMs !== undefined ? { signInTtlMs: options.signInTtlMs } : {}),
    onSignedIn: (identity) => session.signedIn(identity),
  });

  const served: readonly GoogleMailProtocol[] = settings.sendOnly ? ['smtp'] : settings.protocols;
  async function getCredential(request: CredentialRequest): Promise<OAuth2Credential> {
    assertProtocolServed(request.protocol, {
      accountId,
      served,
      ...(settings.sendOnly && ['imap', 'pop3'].includes(request.protocol)
        ? { hint: 'Turn off "Send only" in the account settings to use this account for receiving mail.' }
        : {}),
    });
    const credential = await session.tokens.getCredential(request);
    // A token granted only gmail.send works for the Gmail API; Gmail's SMTP would refuse it.
    if (isGoogleMailProtocol(request.protocol) && !scopesCoverProtocol(credential.scopes, request.protocol)) {
      throw scopeNotGranted(credential.scopes);
    }
    return credential;
  }

  /** Revoking the refresh token ends the whole grant, access tokens included. */
  async function revokeAtGoogle(stored: TokenSet): Promise<SignOutResult> {
    try {
      const client = await clients.oauthClient();
      await client.revokeToken(stored.refreshToken ?? stored.accessToken);
      return { revocation: 'revoked' };
    } catch (error) {
      const mapped = classifyUserOAuthError(error, 'Revoking the Google grant', facts);
      logger.warn('Could not revoke the Google grant; forgetting the local tokens anyway.', {
        accountId,
        code: mapped.code,
      });
      return {
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

  return {
    providerId,
    accountId,
    onDidChangeSession: session.onDidChangeSession,
    interactive,
    getCredential,
    // A live check, like "Check Authorization" in a host's settings: silently obtain a usable token.
    checkAuthorization: async () => {
      const ends = settings.testingMode ? testingModeEnd(await session.tokens.load()) : undefined;
      return session.checkAuthorization({
        probe: () => getCredential({ protocol: served[0] ?? 'smtp' }),
        ...(ends !== undefined ? { authorizationExpiresAt: ends } : {}),
      });
    },
    signOut: () => session.signOut(revokeAtGoogle),
    dispose: () => session.dispose(),
  };
}

/** A Testing-mode app's sign-in ends 7 days after consent, whether or not it was used since. */
function testingModeEnd(stored: TokenSet | undefined): number | undefined {
  const signedInAt = stored?.extra?.signedInAt;
  return typeof signedInAt === 'number'
    ? signedInAt + GOOGLE_TESTING_MODE_REFRESH_TOKEN_LIFETIME_MS
    : undefined;
}
