/** One app-only account: client credentials (secret or certificate) for a service mailbox. */
import { type AuthenticationResult, ConfidentialClientApplication } from '@azure/msal-node';
import {
  type AuthSession,
  type AuthSessionInit,
  assertProtocolServed,
  type CredentialRequest,
  createTokenManager,
  createTokenSession,
  Emitter,
  type MailplugError,
  mailplugError,
  type OAuth2Credential,
  type ProtocolId,
  resolveSecret,
  type SessionChange,
  type TokenSet,
  type TokenTuningOptions,
} from '@mailplug/core';
import {
  accessTokenExpiresAt,
  appOnlyGraphScope,
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

/** The mail protocols plus Microsoft Graph (`sendMail`), each with a token for its own resource. */
const SERVED_PROTOCOLS: readonly ProtocolId[] = Object.freeze([...MICROSOFT_MAIL_PROTOCOLS, 'graph']);

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

  /**
   * The manager asks only when it wants a new token, so msal must not answer from its own cache.
   * One resource per request: Exchange Online (`settings.scope`) or Microsoft Graph.
   */
  async function acquire(scope: string): Promise<TokenSet> {
    let result: AuthenticationResult | null;
    try {
      result = await (await app.get()).acquireTokenByClientCredential({
        scopes: [scope],
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
      scopes: result.scopes.length > 0 ? [...result.scopes] : [scope],
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
    refresh: () => acquire(settings.scope),
    ...(options.earlyRefreshMs !== undefined ? { earlyRefreshMs: options.earlyRefreshMs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });

  // A Microsoft token is for one resource, so Graph tokens come from the same client credential
  // under their own token-store keys (`<accountId>:graph:…`, still under the account's prefix):
  // an Exchange token and a Graph token never overwrite each other.
  const graphScope = appOnlyGraphScope(settings.cloud);
  const graphTokens = createTokenManager({
    accountId: `${accountId}:graph`,
    store: init.tokenStore,
    refresh: () => acquire(graphScope),
    classify: (error) => classifyEntraError(error, { flow: 'appOnly' }),
    acquireWhenEmpty: true,
    ...(options.earlyRefreshMs !== undefined ? { earlyRefreshMs: options.earlyRefreshMs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(init.now ? { now: init.now } : {}),
    ...(init.logger ? { logger: init.logger } : {}),
  });
  const changes = new Emitter<SessionChange>();
  const forwarding = [
    session.onDidChangeSession((change) => changes.fire(change)),
    graphTokens.onDidChange((change) => changes.fire({ ...change, accountId })),
  ];

  async function getCredential(request: CredentialRequest): Promise<OAuth2Credential> {
    assertProtocolServed(request.protocol, { accountId, served: SERVED_PROTOCOLS });
    return request.protocol === 'graph'
      ? graphTokens.getCredential(request)
      : session.tokens.getCredential(request);
  }

  return {
    providerId,
    accountId,
    getCredential,
    async checkAuthorization() {
      const status = await session.checkAuthorization({
        probe: () => getCredential({ protocol: 'smtp' }),
        identity: () => ({ mailbox: settings.mailbox, tenantId: settings.tenant }),
        ...(authorizationExpiresAt !== undefined
          ? {
              authorizationExpiresAt,
              authorizationExpiresWith: settings.clientSecret ? 'clientSecret' : 'certificate',
            }
          : {}),
      });
      // Scopes are named under their resource, so a Graph token's show beside the Exchange ones.
      const graph = await graphTokens.load();
      return graph
        ? { ...status, grantedScopes: [...new Set([...status.grantedScopes, ...graph.scopes])] }
        : status;
    },
    // Nothing to revoke for client credentials (the grant is the admin's consent); forget the
    // cached token and the application, so a rotated secret is read on the next use.
    async signOut() {
      app.reset();
      await graphTokens.clear();
      return session.signOut();
    },
    diagnose: (error: unknown) => explainSmtpFailure(error, settings),
    onDidChangeSession: changes.event,
    dispose: () => {
      for (const subscription of forwarding) subscription.dispose();
      graphTokens.dispose();
      session.dispose();
      changes.dispose();
    },
  };
}
