/** One app-only account: client credentials (secret or certificate) for a service mailbox. */
import { ConfidentialClientApplication } from '@azure/msal-node';
import {
  type AuthorizationStatus,
  type AuthProvider,
  type AuthProviderInit,
  CoreErrorCode,
  type CredentialRequest,
  createTokenManager,
  Emitter,
  type MailplugError,
  mailplugError,
  type OAuth2Credential,
  resolveSecret,
  type SessionChange,
  type TokenManagerOptions,
  type TokenSet,
} from '@mailplug/core';
import {
  classifyEntraError,
  isMicrosoftMailProtocol,
  MICROSOFT_PROTOCOL_PERMISSIONS,
  MicrosoftErrorCode,
  msalConfigurationFor,
} from '@mailplug/microsoft-identity';
import { explainSmtpFailure } from './diagnose.js';
import { M365_APP_ONLY_PROVIDER_ID, type M365AppOnlySettings, parseM365AppOnlySettings } from './settings.js';

export interface M365AppOnlySessionOptions {
  readonly onRequest?: (info: { readonly method: 'GET' | 'POST'; readonly url: string }) => void;
  readonly tokenManager?: Pick<
    TokenManagerOptions,
    'earlyRefreshMs' | 'retry' | 'sleep' | 'random' | 'expiringSoonWindowMs'
  >;
}

export interface M365AppOnlySession extends AuthProvider {
  readonly settings: M365AppOnlySettings;
  /**
   * The spec's `AuthProvider.diagnose`, always present here: explains an SMTP failure in terms of
   * the missing admin step (Exchange service principal and mailbox permission for 535 5.7.3,
   * Authenticated SMTP for 5.7.139) with the PowerShell for this app and mailbox; `undefined` for
   * failures it does not recognise. The mailer calls it for every failed send and probe step.
   */
  diagnose(error: unknown): MailplugError | undefined;
}

export function createM365AppOnlySession(
  init: AuthProviderInit,
  options: M365AppOnlySessionOptions = {},
): M365AppOnlySession {
  const settings = parseM365AppOnlySettings(init.settings);
  const { accountId } = init;
  const emitter = new Emitter<SessionChange>();
  let appPromise: Promise<ConfidentialClientApplication> | undefined;

  function app(): Promise<ConfidentialClientApplication> {
    appPromise ??= (async () => {
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
      // No cache plugin: app-only tokens live in the TokenManager; msal's in-memory cache is enough.
      return new ConfidentialClientApplication(
        msalConfigurationFor(settings, { ...credentials, onRequest: options.onRequest, logger: init.logger }),
      );
    })();
    appPromise.catch(() => {
      appPromise = undefined;
    });
    return appPromise;
  }

  /** The manager asks only when it wants a new token, so msal must not answer from its own cache. */
  async function acquire(): Promise<TokenSet> {
    const result = await (await app()).acquireTokenByClientCredential({
      scopes: [settings.scope],
      skipCache: true,
    });
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
      expiresAt: result.expiresOn ? result.expiresOn.getTime() : Date.now() + 3600_000,
      scopes: result.scopes.length > 0 ? [...result.scopes] : [settings.scope],
      user: settings.mailbox,
      extra: { tenantId: result.tenantId || settings.tenant },
    };
  }

  const knownExpiries = {
    ...(settings.secretExpiresAt !== undefined && settings.clientSecret
      ? { clientSecret: settings.secretExpiresAt }
      : {}),
    ...(settings.certificateExpiresAt !== undefined && settings.certificate
      ? { certificate: settings.certificateExpiresAt }
      : {}),
  };
  const tokens = createTokenManager({
    accountId,
    store: init.tokenStore,
    classify: classifyEntraError,
    knownExpiries,
    ...(init.now ? { now: init.now } : {}),
    ...(init.logger ? { logger: init.logger } : {}),
    ...options.tokenManager,
    // No user ever signs in: the first credential request acquires the first token, under the
    // same single-flight, lock, retry and classification as every later one.
    acquireWhenEmpty: true,
    refresh: () => acquire(),
  });
  const forwarding = tokens.onDidChange((event) => emitter.fire(event));

  async function getCredential(request: CredentialRequest): Promise<OAuth2Credential> {
    if (!isMicrosoftMailProtocol(request.protocol)) {
      throw mailplugError(
        CoreErrorCode.ProtocolMismatch,
        'developer',
        `Microsoft 365 app-only access does not cover "${request.protocol}".`,
        'Use smtp, imap or pop3 with this provider.',
      );
    }
    return tokens.getCredential(request);
  }

  return {
    providerId: M365_APP_ONLY_PROVIDER_ID,
    accountId,
    settings,
    getCredential,
    async checkAuthorization(): Promise<AuthorizationStatus> {
      const credentialExpiresAt = settings.clientSecret
        ? settings.secretExpiresAt
        : settings.certificateExpiresAt;
      const base = {
        identity: { mailbox: settings.mailbox, tenantId: settings.tenant },
        ...(credentialExpiresAt !== undefined ? { credentialExpiresAt } : {}),
      };
      try {
        const credential = await getCredential({ protocol: 'smtp' });
        return {
          state: 'authorized',
          ...base,
          grantedScopes: credential.scopes,
          accessTokenExpiresAt: credential.expiresAt,
        };
      } catch (error) {
        const problem = classifyEntraError(error);
        return {
          state: problem.action === 'retry' ? 'authorized' : 'misconfigured',
          ...base,
          grantedScopes: [],
          problem,
        };
      }
    },
    async signOut() {
      // Nothing to revoke for client credentials; forget the cached token.
      await tokens.clear();
      appPromise = undefined;
      emitter.fire({ type: 'removed', accountId });
    },
    diagnose: (error: unknown) => explainSmtpFailure(error, settings),
    onDidChangeSession: emitter.event,
    dispose() {
      forwarding.dispose();
      tokens.dispose();
      emitter.dispose();
    },
  };
}

/** The application permission (app role) an admin grants for a protocol. */
export function appRoleFor(protocol: string): string | undefined {
  return isMicrosoftMailProtocol(protocol) ? MICROSOFT_PROTOCOL_PERMISSIONS[protocol].appRole : undefined;
}
