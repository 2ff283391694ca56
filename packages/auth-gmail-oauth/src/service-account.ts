import {
  type AuthorizationStatus,
  type AuthProvider,
  type AuthProviderDefinition,
  type AuthProviderInit,
  CoreErrorCode,
  type CredentialRequest,
  createRedactingLogger,
  createTokenManager,
  isMailplugError,
  isSecretRef,
  type MailplugError,
  mailplugError,
  type OAuth2Credential,
  registerSecret,
  resolveSecret,
  type TokenManagerOptions,
  type TokenSet,
  withDefaults,
} from '@mailplug/core';
import { JWT } from 'google-auth-library';
import { classifyServiceAccountError, GmailErrorCode } from './errors.js';
import { expiresAtOnSessionClock } from './google-client.js';
import { GOOGLE_SERVICE_ACCOUNT_PROVIDER_ID, googleServiceAccountContribution } from './manifest.js';
import { GMAIL_MAIL_SCOPE, GOOGLE_PROVIDER, isGoogleMailProtocol } from './provider-data.js';
import { forwardSessionChanges } from './session-changes.js';
import { transporterOptionsFor, tuneTransporter } from './transport.js';

/** Settings of a `google-service-account` account. */
export interface GoogleServiceAccountSettings {
  /** The service account's JSON key file, held in the host's secret store. */
  readonly serviceAccountKey: { readonly secretRef: string };
  /** The Workspace user to act as. */
  readonly mailbox: string;
  readonly tokenUrl?: string;
  /** PEM of an extra CA to trust for the token endpoint (private deployments, the emulator). */
  readonly ca?: string;
}

export interface GoogleServiceAccountOptions {
  readonly id?: string;
  readonly label?: string;
  readonly earlyRefreshMs?: number;
  /** Retry policy for transient token-endpoint failures (core's TokenManager default: 4 attempts, 500 ms base, 30 s ceiling). */
  readonly retry?: TokenManagerOptions['retry'];
}

/** The fields of a Google service account key that this provider uses. */
export interface ServiceAccountKey {
  readonly clientEmail: string;
  readonly privateKey: string;
  readonly clientId?: string;
  readonly privateKeyId?: string;
}

/**
 * Google Workspace service account with domain-wide delegation: the JWT bearer grant with
 * `sub` = the mailbox, through google-auth-library's `JWT` client. No user signs in.
 *
 * @example
 * const session = googleServiceAccount.create({
 *   accountId: 'notifications',
 *   settings: { serviceAccountKey: { secretRef: 'google-sa-key' }, mailbox: 'noreply@example.com' },
 *   secrets, tokenStore,
 * });
 * const credential = await session.getCredential({ protocol: 'smtp' });
 */
export function createGoogleServiceAccount(
  options: GoogleServiceAccountOptions = {},
): AuthProviderDefinition {
  const id = options.id ?? GOOGLE_SERVICE_ACCOUNT_PROVIDER_ID;
  return {
    specificationVersion: 'v1',
    id,
    label: options.label ?? googleServiceAccountContribution.label,
    settingsSchema: googleServiceAccountContribution.settingsSchema,
    capabilities: googleServiceAccountContribution.capabilities,
    create: (init) => createServiceAccountSession(id, init, options),
  };
}

/** The default instance, registered by `activate`. */
export const googleServiceAccount: AuthProviderDefinition = createGoogleServiceAccount();

function keyInvalid(field: string, problem: string): MailplugError {
  return mailplugError(
    GmailErrorCode.ServiceAccountKeyInvalid,
    'admin',
    `The service account key ${problem}.`,
    `Download a new JSON key (Google Cloud console → IAM & Admin → Service accounts → Keys → Add key → JSON) and store the whole file in the secret store; the "${field}" field must be present.`,
    { details: { field } },
  );
}

/**
 * Parses a service account JSON key, naming the missing or malformed field. The JSON parser's
 * own message is never passed on: it quotes the input, which holds the private key.
 */
export function parseServiceAccountKey(text: string): ServiceAccountKey {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw keyInvalid('(whole file)', 'is not valid JSON (paste the complete .json file, not the key alone)');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw keyInvalid('(whole file)', 'is not a JSON object');
  const k = json as Record<string, unknown>;
  if (k.type !== undefined && k.type !== 'service_account') {
    throw keyInvalid(
      'type',
      `is of type "${String(k.type)}", not "service_account" (an OAuth client file was probably stored)`,
    );
  }
  if (typeof k.client_email !== 'string' || !k.client_email.includes('@')) {
    throw keyInvalid('client_email', 'has no valid "client_email"');
  }
  if (typeof k.private_key !== 'string' || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(k.private_key)) {
    throw keyInvalid('private_key', 'has no PEM "private_key"');
  }
  registerSecret(k.private_key);
  return {
    clientEmail: k.client_email,
    privateKey: k.private_key,
    ...(typeof k.client_id === 'string' ? { clientId: k.client_id } : {}),
    ...(typeof k.private_key_id === 'string' ? { privateKeyId: k.private_key_id } : {}),
  };
}

function readSettings(init: AuthProviderInit): GoogleServiceAccountSettings {
  const s = withDefaults(
    googleServiceAccountContribution.settingsSchema,
    init.settings,
  ) as Partial<GoogleServiceAccountSettings>;
  if (!isSecretRef(s.serviceAccountKey) || typeof s.mailbox !== 'string' || s.mailbox === '') {
    throw mailplugError(
      CoreErrorCode.ConfigInvalid,
      'admin',
      `The service account "${init.accountId}" needs a key reference and a mailbox.`,
      'Set auth.settings.serviceAccountKey to { "secretRef": "<name>" } and auth.settings.mailbox to the Workspace user to send as.',
      { details: { accountId: init.accountId } },
    );
  }
  return s as GoogleServiceAccountSettings;
}

function createServiceAccountSession(
  providerId: string,
  init: AuthProviderInit,
  options: GoogleServiceAccountOptions,
): AuthProvider {
  const settings = readSettings(init);
  const accountId = init.accountId;
  const now = init.now ?? Date.now;
  const logger = createRedactingLogger(init.logger);
  const mailbox = settings.mailbox.toLowerCase();
  // The JWT client ignores `endpoints` and posts to Google's fixed token URL; route it.
  const rewrite =
    settings.tokenUrl && settings.tokenUrl !== GOOGLE_PROVIDER.endpoints.tokenUrl
      ? new Map([[GOOGLE_PROVIDER.endpoints.tokenUrl, settings.tokenUrl]])
      : undefined;
  let lastKey: ServiceAccountKey | undefined;
  const transporterOptions = transporterOptionsFor(settings.ca);

  async function loadKey(): Promise<ServiceAccountKey> {
    const text = await resolveSecret(init.secrets, settings.serviceAccountKey, 'the service account key');
    lastKey = parseServiceAccountKey(text);
    return lastKey;
  }

  async function refresh(_current: TokenSet | undefined): Promise<TokenSet> {
    const key = await loadKey();
    // A new client per refresh: the JWT client caches tokens itself, and TokenManager owns caching.
    const jwt = new JWT({
      ...(transporterOptions ? { transporterOptions } : {}),
      email: key.clientEmail,
      key: key.privateKey,
      scopes: [GMAIL_MAIL_SCOPE],
      subject: mailbox,
    });
    tuneTransporter(jwt, rewrite);
    const issued = await jwt.authorize();
    if (!issued.access_token) throw new Error('Google answered the JWT grant without an access token.');
    registerSecret(issued.access_token);
    return {
      accessToken: issued.access_token,
      expiresAt: expiresAtOnSessionClock(issued.expiry_date, now),
      scopes: [GMAIL_MAIL_SCOPE],
      user: mailbox,
      extra: { serviceAccount: key.clientEmail },
    };
  }

  const tokens = createTokenManager({
    accountId,
    store: init.tokenStore,
    refresh,
    // Nobody signs in: the first use obtains the first token like every later one — one request
    // in flight, transient failures retried, errors classified.
    acquireWhenEmpty: true,
    classify: (error: unknown) =>
      classifyServiceAccountError(error, {
        mailbox,
        ...(lastKey?.clientId ? { clientId: lastKey.clientId } : {}),
        ...(lastKey?.clientEmail ? { clientEmail: lastKey.clientEmail } : {}),
      }),
    logger,
    ...(init.now ? { now: init.now } : {}),
    ...(options.earlyRefreshMs !== undefined ? { earlyRefreshMs: options.earlyRefreshMs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });
  const sessionChanges = forwardSessionChanges(tokens, accountId);

  return {
    providerId,
    accountId,
    onDidChangeSession: sessionChanges.event,

    async getCredential(request: CredentialRequest): Promise<OAuth2Credential> {
      if (!isGoogleMailProtocol(request.protocol)) {
        throw mailplugError(
          CoreErrorCode.ProtocolMismatch,
          'admin',
          `The service account "${accountId}" cannot authorise ${request.protocol}.`,
          'Use SMTP, IMAP or POP3 with Gmail.',
          { details: { protocol: request.protocol } },
        );
      }
      return tokens.getCredential(request);
    },

    async checkAuthorization(): Promise<AuthorizationStatus> {
      const identity = { mailbox, ...(lastKey ? { subject: lastKey.clientEmail } : {}) };
      try {
        const credential = await tokens.getCredential({ protocol: 'smtp' });
        return {
          state: 'authorized',
          identity: { mailbox, ...(lastKey ? { subject: lastKey.clientEmail } : {}) },
          grantedScopes: credential.scopes,
          accessTokenExpiresAt: credential.expiresAt,
        };
      } catch (error) {
        if (!isMailplugError(error)) throw error;
        return {
          state: error.action === 'retry' ? 'authorized' : 'misconfigured',
          identity,
          grantedScopes: [],
          problem: error,
        };
      }
    },

    async signOut(): Promise<void> {
      // Service account tokens cannot be revoked one by one (they expire within the hour); the
      // delegation itself is removed in the Admin console. Forget what we hold.
      await sessionChanges.forget();
    },

    dispose: () => sessionChanges.dispose(),
  };
}
