/**
 * The interactive half of a `gmail-oauth` session: authorization code + PKCE (core's single-use
 * state kept in the token store), the callback (code exchange, granted scopes, who signed in) and
 * the loopback convenience for CLI/desktop hosts.
 */
import {
  type AuthSessionInit,
  assertExpectedMailbox,
  type BeginSignInRequest,
  type CompleteSignInOptions,
  CoreErrorCode,
  createAuthorizationCodeSignIns,
  expiryOnSessionClock,
  type InteractiveSignIn,
  identityTokenExtra,
  type Logger,
  type MailboxIdentity,
  mailplugError,
  type ProtocolId,
  registerSecret,
  type SignInCallbackParams,
  type SignInStart,
  startLoopbackRedirect,
  type TokenManager,
} from '@mailplug/core';
import { CodeChallengeMethod } from 'google-auth-library';
import { classifyCallbackError, classifyUserOAuthError, GmailErrorCode, scopeNotGranted } from './errors.js';
import { type GmailOAuthSettings, isLoopbackUri } from './gmail-settings.js';
import type { GoogleClients } from './google-client.js';
import { grantedScopes, identify } from './identity.js';
import {
  type GoogleMailProtocol,
  isGoogleMailProtocol,
  scopesCoverProtocol,
  scopesToRequest,
} from './provider-data.js';

export interface LoopbackSignInOptions {
  /** Open the user's browser (or print the URL) at Google's sign-in page. */
  readonly openUrl: (url: string) => void | Promise<void>;
  /** How long to wait for the browser to come back. Default: core's loopback default (5 minutes). */
  readonly timeoutMs?: number;
  readonly protocols?: readonly ProtocolId[];
}

/** The spec's `interactive` sign-in, plus a loopback run of it for CLI and desktop hosts. */
export interface GmailInteractiveSignIn extends InteractiveSignIn {
  /**
   * Serves a one-shot redirect on `http://127.0.0.1:<ephemeral port>` (core's loopback helper),
   * sends the user to Google through `openUrl`, and completes the sign-in when the browser comes
   * back. Needs an OAuth client of type "Desktop app" (Google accepts any loopback port for those).
   */
  loopback(options: LoopbackSignInOptions): Promise<MailboxIdentity>;
}

export interface GmailSignInContext {
  readonly init: AuthSessionInit;
  readonly settings: GmailOAuthSettings;
  readonly clients: GoogleClients;
  /** Where a completed sign-in's tokens go. */
  readonly tokens: Pick<TokenManager, 'save'>;
  readonly logger: Logger;
  /** How long a started sign-in stays valid. Default: core's default. */
  readonly signInTtlMs?: number;
  /** Told about each completed sign-in (the session fires its `added` change). */
  readonly onSignedIn: (identity: MailboxIdentity) => void;
}

export function createGmailSignIn(context: GmailSignInContext): GmailInteractiveSignIn {
  const { init, settings, clients, tokens, logger } = context;
  const { accountId } = init;
  const now = init.now ?? Date.now;
  const signIns = createAuthorizationCodeSignIns(
    init,
    context.signInTtlMs !== undefined ? { ttlMs: context.signInTtlMs } : {},
  );

  function protocolsFor(requested: readonly ProtocolId[] | undefined): GoogleMailProtocol[] {
    if (settings.sendOnly) return ['smtp'];
    const list = (requested ?? settings.protocols).filter(isGoogleMailProtocol);
    return list.length > 0 ? list : [...settings.protocols];
  }

  async function begin(request: BeginSignInRequest = {}): Promise<SignInStart> {
    const start = await signIns.begin({
      redirectUri: request.redirectUri ?? settings.redirectUri,
      binding: request.binding,
    });
    const client = await clients.oauthClient(start.redirectUri);
    const loginHint = request.loginHint ?? settings.loginHint ?? settings.mailbox;
    const url = client.generateAuthUrl({
      access_type: 'offline',
      prompt: 'consent',
      scope: scopesToRequest(protocolsFor(request.protocols)),
      redirect_uri: start.redirectUri,
      state: start.state,
      code_challenge: start.codeChallenge,
      code_challenge_method: CodeChallengeMethod.S256,
      ...(loginHint ? { login_hint: loginHint } : {}),
    });
    return { url, state: start.state, redirectUri: start.redirectUri, expiresAt: start.expiresAt };
  }

  /** Code → tokens; invalid_grant on a *code* means it is spent or expired, not a dead refresh token. */
  async function exchangeCode(code: string, data: { codeVerifier: string; redirectUri: string }) {
    const client = await clients.oauthClient(data.redirectUri);
    try {
      const { tokens: response } = await client.getToken({
        code,
        codeVerifier: data.codeVerifier,
        redirect_uri: data.redirectUri,
      });
      return { client, response };
    } catch (error) {
      const mapped = classifyUserOAuthError(error, 'Exchanging the Google sign-in code', {
        testingMode: settings.testingMode,
      });
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
  }

  async function complete(
    params: SignInCallbackParams,
    options: CompleteSignInOptions = {},
  ): Promise<MailboxIdentity> {
    const callback = await signIns.complete(
      params,
      ({ error, description }) =>
        classifyCallbackError(
          { error, error_description: description },
          { testingMode: settings.testingMode },
        ),
      { binding: options.binding },
    );
    const { client, response } = await exchangeCode(callback.code, callback);
    for (const secret of [response.access_token, response.refresh_token, response.id_token])
      registerSecret(secret);
    const scopes = await grantedScopes(client, response);
    // A gmail-api-only account is satisfied by gmail.send; every other one needs the mail scope.
    const needed = settings.sendOnly ? (['smtp'] as const) : settings.protocols;
    if (!needed.some((p) => scopesCoverProtocol(scopes, p))) throw scopeNotGranted(scopes);
    if (!response.refresh_token || !response.access_token) {
      throw mailplugError(
        GmailErrorCode.RefreshTokenMissing,
        'user',
        'Google signed you in but gave no long-lived permission (no refresh token).',
        'Remove the app at myaccount.google.com/permissions, then sign in with Google again.',
      );
    }
    const identity = await identify(client, response, {
      clientId: settings.clientId,
      endpoints: clients.endpoints,
      issuers: clients.issuers,
    });
    try {
      if (settings.mailbox && identity.mailbox !== settings.mailbox.toLowerCase()) {
        throw mailplugError(
          GmailErrorCode.WrongAccount,
          'user',
          `You signed in as ${identity.mailbox}, but this account is set up for ${settings.mailbox}.`,
          `Sign in again and choose ${settings.mailbox} on Google's account chooser (or change the account's mailbox setting).`,
          { details: { expected: settings.mailbox, actual: identity.mailbox } },
        );
      }
      assertExpectedMailbox(identity, options);
    } catch (refused) {
      // Do not keep a grant for a mailbox this account is not for; give it back to Google.
      await client.revokeToken(response.refresh_token).catch(() => undefined);
      throw refused;
    }
    await tokens.save({
      accessToken: response.access_token,
      expiresAt: expiryOnSessionClock(response.expiry_date, now),
      refreshToken: response.refresh_token,
      scopes,
      user: identity.mailbox,
      // When the consent was given: a Testing-mode app's sign-in ends 7 days later, used or not.
      extra: { ...identityTokenExtra(identity), signedInAt: now() },
    });
    logger.info('Signed in with Google.', { accountId, mailbox: identity.mailbox });
    context.onSignedIn(identity);
    return identity;
  }

  async function loopback(options: LoopbackSignInOptions): Promise<MailboxIdentity> {
    const configured = isLoopbackUri(settings.redirectUri) ? new URL(settings.redirectUri) : undefined;
    const path = configured && configured.pathname !== '/' ? configured.pathname : '/callback';
    const lb = await startLoopbackRedirect({
      path,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    try {
      const start = await begin({
        redirectUri: lb.redirectUri,
        ...(options.protocols ? { protocols: options.protocols } : {}),
      });
      await options.openUrl(start.url);
      return await complete(await lb.waitForCallback());
    } finally {
      await lb.close();
    }
  }

  return { begin, complete, loopback };
}
