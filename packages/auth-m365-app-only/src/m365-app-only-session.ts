/** One app-only account: client credentials (secret or certificate) for a service mailbox. */
import { type AuthenticationResult, ConfidentialClientApplication } from '@azure/msal-node';
import {
  type AuthSession,
  type AuthSessionInit,
  assertProtocolServed,
  type CredentialRequest,
  createTokenSession,
  type MailplugError,
  mailplugError,
  type OAuth2Credential,
  resolveSecret,
  type TokenSet,
  type TokenTuningOptions,
} from '@mailplug/core';
import {
  accessTokenExpiresAt,
  classifyEntraError,
  lazyClientApplication,
  MICROSOFT_MAIL_PROTOCOLS,
  MicrosoftErrorCode,
  msalConfigurationFor,
  msalTransportExtras,
  type TokenTransportOptions,
} from '@mailplug/microsoft-identity';
import { explainSmtpFailure } from './diagnose.js';
import type { M365AppOnlySettings } from './settings.js';

/** What the provider factory passes on to each session. */
export interface M365AppOnlySessionOptions extends TokenTuningOptions, TokenTransportOptions {
  /** Observes every request msal makes (never a body); throwing refuses it. */
  readonly onRequest?: (info: { readonly method: 'GET' | 'POST'; readonly url: string }) => void;
}

export interface M365AppOnlySession extends AuthSession {
  /**
   * The spec's `AuthSession.diagnose`, always present here: explains an SMTP failure in terms of
   * the missing admin step (Exchange service principal and mailbox permission for 535 5.7.3,
   * Authenticated SMTP for 5.7.139) with the PowerShell for this app and mailbox; `undefined` for
   * failures it does not recognize. The mailer calls it for every failed send and probe step.
   */
  diagnose(error: unknown): MailplugError | undefined;
}

export function createM365AppOnlySession(
  providerId: string,
  settings: M365AppOnlySettings,
  init: AuthSessionInit,
  options: M365AppOnlySessionOptions,
): M365AppOnlySession {
  const { accountId } = init;

  // No cache plugin: app-only tokens live in the TokenManager; msal's in-memory cache is enough.
  const app = lazyClientApplication(async () => {
    const credentials = settings.certificate
      ? {
          clientCertificate: {
            privateKey: await resolveSecret(
              init.secrets,
              settings.certificate.privateKey,
              'the certificate private key',
            ),
            ...(settings.certificate.thumbprint.length === 64
              ? { thumbprintSha256: settings.certificate.thumbprint }
              : { thumbprint: settings.certificate.thumbprint }),
          },
        }
      : settings.clientSecret
        ? { clientSecret: await resolveSecret(init.secrets, settings.clientSecret, 'the client secret') }
        : {};
    return new ConfidentialClientApplication(
      msalConfigurationFor(settings, {
        ...credentials,
        ...msalTransportExtras(options),
        onRequest: options.onRequest,
        logger: init.logger,
      }),
    );
  });

  /** The manager asks only when it wants a new token, so msal must not answer from its own cache. */
  async function acquire(): Promise<TokenSet> {
    let result: AuthenticationResult | null;
    try {
      result = await (await app.get()).acquireTokenByClientCredential({
        scopes: [settings.scope],
        skipCache: true,
      });
    } catch (error) {
      // msal remembers a 429/5xx per application and keeps answering with it (for a minute when
      // no Retry-After came); core's TokenManager already owns retry, backoff and Retry-After, so
      // the next attempt starts on a fresh application instead of a replayed outage.
      app.reset();
      throw error;
    }
    if (!result) {
      throw mailplugError(
        MicrosoftErrorCode.SignInFailed,
        'retry',
        'Microsoft Entra ID returned no token.',
        'Try again shortly.',
      );
    }
    return {
      accessToken: result.accessToken,
      expiresAt: accessTokenExpiresAt(result, init.now),
      scopes: result.scopes.length > 0 ? [...result.scopes] : [settings.scope],
      user: settings.mailbox,
      extra: { tenantId: result.tenantId || settings.tenant },
    };
  }

  const authorizationExpiresAt = settings.clientSecret
    ? settings.secretExpiresAt
    : settings.certificateExpiresAt;
  const session = createTokenSession(init, {
    classify: (error) => classifyEntraError(error, { flow: 'appOnly' }),
    knownExpiries: {
      ...(settings.secretExpiresAt !== undefined && settings.clientSecret
        ? { clientSecret: settings.secretExpiresAt }
        : {}),
      ...(settings.certificateExpiresAt !== undefined && settings.certificate
        ? { certificate: settings.certificateExpiresAt }
        : {}),
    },
    // No user ever signs in: the first credential request acquires the first token, under the
    // same single-flight, lock, retry and classification as every later one.
    acquireWhenEmpty: true,
    refresh: () => acquire(),
    ...(options.earlyRefreshMs !== undefined ? { earlyRefreshMs: options.earlyRefreshMs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });

  async function getCredential(request: CredentialRequest): Promise<OAuth2Credential> {
    assertProtocolServed(request.protocol, { accountId, served: MICROSOFT_MAIL_PROTOCOLS });
    return session.tokens.getCredential(request);
  }

  return {
    providerId,
    accountId,
    getCredential,
    checkAuthorization: () =>
      session.checkAuthorization({
        probe: () => getCredential({ protocol: 'smtp' }),
        identity: () => ({ mailbox: settings.mailbox, tenantId: settings.tenant }),
        ...(authorizationExpiresAt !== undefined ? { authorizationExpiresAt } : {}),
      }),
    // Nothing to revoke for client credentials (the grant is the admin's consent); forget the
    // cached token and the application, so a rotated secret is read on the next use.
    async signOut() {
      app.reset();
      return session.signOut();
    },
    diagnose: (error: unknown) => explainSmtpFailure(error, settings),
    onDidChangeSession: session.onDidChangeSession,
    dispose: () => session.dispose(),
  };
}
