/** One `google-service-account` account: the JWT bearer grant for the mailbox, no sign-in. */
import {
  type AuthSession,
  type AuthSessionInit,
  assertProtocolServed,
  type CredentialRequest,
  createTokenSession,
  expiryOnSessionClock,
  type OAuth2Credential,
  registerSecret,
  resolveSecret,
  type SettingsValues,
  type TokenSet,
  type TokenTransportOptions,
  type TokenTuningOptions,
} from '@mailplug/core';
import { JWT } from 'google-auth-library';
import { classifyServiceAccountError } from './errors.js';
import { GMAIL_MAIL_SCOPE, GOOGLE_PROVIDER } from './provider-data.js';
import { parseServiceAccountKey, type ServiceAccountKey } from './service-account-key.js';
import { transporterOptionsFor, tuneTransporter } from './transport.js';

export function createServiceAccountSession(
  providerId: string,
  values: SettingsValues,
  init: AuthSessionInit,
  options: TokenTuningOptions & TokenTransportOptions,
): AuthSession {
  const keyRef = values.requiredSecret('serviceAccountKey');
  const mailbox = values.requiredText('mailbox').toLowerCase();
  const tokenUrl = values.text('tokenUrl');
  const { accountId } = init;
  const now = init.now ?? Date.now;
  // The JWT client ignores `endpoints` and posts to Google's fixed token URL; route it.
  const rewrite =
    tokenUrl && tokenUrl !== GOOGLE_PROVIDER.endpoints.tokenUrl
      ? new Map([[GOOGLE_PROVIDER.endpoints.tokenUrl, tokenUrl]])
      : undefined;
  const transporterOptions = transporterOptionsFor(values.text('ca'), options);
  let lastKey: ServiceAccountKey | undefined;

  async function refresh(): Promise<TokenSet> {
    const text = await resolveSecret(init.secrets, keyRef, 'the service account key');
    const key = parseServiceAccountKey(text);
    lastKey = key;
    // A new client per refresh: the JWT client caches tokens itself, and TokenManager owns caching.
    const jwt = new JWT({
      transporterOptions,
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
      expiresAt: expiryOnSessionClock(issued.expiry_date, now),
      scopes: [GMAIL_MAIL_SCOPE],
      user: mailbox,
      extra: { subject: key.clientEmail },
    };
  }

  const session = createTokenSession(init, {
    refresh,
    // Nobody signs in: the first use obtains the first token like every later one — one request
    // in flight, transient failures retried, errors classified.
    acquireWhenEmpty: true,
    classify: (error) =>
      classifyServiceAccountError(error, {
        mailbox,
        ...(lastKey?.clientId ? { clientId: lastKey.clientId } : {}),
        ...(lastKey?.clientEmail ? { clientEmail: lastKey.clientEmail } : {}),
      }),
    ...(options.earlyRefreshMs !== undefined ? { earlyRefreshMs: options.earlyRefreshMs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });

  async function getCredential(request: CredentialRequest): Promise<OAuth2Credential> {
    assertProtocolServed(request.protocol, { accountId, served: ['smtp', 'imap', 'pop3'] });
    return session.tokens.getCredential(request);
  }

  return {
    providerId,
    accountId,
    onDidChangeSession: session.onDidChangeSession,
    getCredential,
    checkAuthorization: () =>
      session.checkAuthorization({
        probe: () => getCredential({ protocol: 'smtp' }),
        identity: () => ({ mailbox, ...(lastKey ? { subject: lastKey.clientEmail } : {}) }),
      }),
    // Service account tokens cannot be revoked one by one (they expire within the hour); the
    // delegation itself is removed in the Admin console. Forget what we hold.
    signOut: () => session.signOut(),
    dispose: () => session.dispose(),
  };
}
