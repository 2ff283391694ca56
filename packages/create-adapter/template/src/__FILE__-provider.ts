import { createRequire } from 'node:module';
import {
  type ActivationContext,
  type AuthProvider,
  type AuthSession,
  type AuthSessionInit,
  assertExpectedMailbox,
  assertProtocolServed,
  CoreErrorCode,
  classifyFailure,
  createAuthorizationCodeSignIns,
  createTokenSession,
  defineAuthProvider,
  identityTokenExtra,
  type MailboxIdentity,
  mailplugError,
  type ProviderInstanceOptions,
  readAdapterManifest,
  resolveSecret,
  type SettingsValues,
  type TokenSet,
  type TokenTuningOptions,
} from '@mailplug/core';

// package.json is the one source of id, label, capabilities and settings schema: the registry reads
// it without loading this code, and the code reads it back here.
const contribution = readAdapterManifest(createRequire(import.meta.url)('../package.json')).authProvider(
  '__PROVIDER_ID__',
);

/** Scopes to request: who signed in, a refresh token, and the mail scope of each protocol. */
const SCOPES = ['openid', 'email', 'offline_access', 'mail.send', 'mail.read'];
/** Every request to the identity provider has a deadline. */
const REQUEST_TIMEOUT_MS = 15_000;

/** Factory options, with the same names and meanings as every Mailplug provider's. */
export interface __PASCAL__Options extends ProviderInstanceOptions, TokenTuningOptions {}

/**
 * __LABEL__ sign-in (OAuth 2.0 authorization code + PKCE) for SMTP and IMAP.
 *
 * @example
 * registry.register(create__PASCAL__({ earlyRefreshMs: 10 * 60_000 }));
 */
export function create__PASCAL__(options: __PASCAL__Options = {}): AuthProvider {
  return defineAuthProvider({
    contribution,
    id: options.id,
    label: options.label,
    createSession: (values, init, providerId) => createSession(values, init, providerId, options),
  });
}

/** The default instance, registered by `activate`. */
export const __CAMEL__: AuthProvider = create__PASCAL__();

/** Called by the Mailplug registry on first use of the `__PROVIDER_ID__` provider id. */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerAuthProvider(__CAMEL__));
}

function createSession(
  values: SettingsValues,
  init: AuthSessionInit,
  providerId: string,
  options: __PASCAL__Options,
): AuthSession {
  const { accountId } = init;
  const now = init.now ?? Date.now;
  const issuer = values.requiredText('issuer');
  const clientId = values.requiredText('clientId');
  const served = contribution.capabilities.protocols;

  /** POSTs a form to the identity provider; every failure becomes a classified MailplugError. */
  async function post(path: string, form: Record<string, string>): Promise<Record<string, unknown>> {
    try {
      const secret = await resolveSecret(
        init.secrets,
        values.requiredSecret('clientSecret'),
        'the client secret',
      );
      const reply = await fetch(`${issuer}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ ...form, client_id: clientId, client_secret: secret }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await reply.text();
      const body = (text.startsWith('{') ? JSON.parse(text) : {}) as Record<string, unknown>;
      if (reply.ok && body.error === undefined) return body;
      // The shape core's classifyFailure reads: HTTP status and the OAuth `error`.
      throw Object.assign(new Error(`${path} answered ${reply.status}`), {
        status: reply.status,
        error: body.error,
      });
    } catch (failure) {
      throw classifyFailure(failure);
    }
  }

  /** A token response on the session's clock; a response without a refresh token keeps the old one. */
  const tokenSet = (body: Record<string, unknown>, user: string, previous?: TokenSet): TokenSet => ({
    accessToken: String(body.access_token),
    expiresAt: now() + Number(body.expires_in ?? 3600) * 1000,
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : previous?.refreshToken,
    // RFC 6749 separates scopes with spaces; some providers use commas.
    scopes: typeof body.scope === 'string' ? body.scope.split(/[\s,]+/).filter(Boolean) : SCOPES,
    user,
    extra: previous?.extra ?? {},
  });

  const session = createTokenSession(init, {
    ...options,
    refresh: async (current) =>
      tokenSet(
        await post('/token', { grant_type: 'refresh_token', refresh_token: current?.refreshToken ?? '' }),
        current?.user ?? '',
        current,
      ),
  });
  const signIns = createAuthorizationCodeSignIns(init);

  return {
    providerId,
    accountId,
    onDidChangeSession: session.onDidChangeSession,
    getCredential(request) {
      assertProtocolServed(request.protocol, { accountId, served });
      return session.tokens.getCredential(request);
    },
    checkAuthorization: () =>
      session.checkAuthorization({
        probe: () => session.tokens.getCredential({ protocol: served[0] ?? 'smtp' }),
      }),
    signOut: () =>
      session.signOut(async (stored) => {
        await post('/revoke', { token: stored.refreshToken ?? stored.accessToken });
        return { revocation: 'revoked' };
      }),
    interactive: {
      async begin(request = {}) {
        const redirectUri = request.redirectUri ?? values.text('redirectUri');
        const start = await signIns.begin({ redirectUri, binding: request.binding });
        const query = new URLSearchParams({
          response_type: 'code',
          client_id: clientId,
          redirect_uri: start.redirectUri,
          scope: SCOPES.join(' '),
          state: start.state,
          code_challenge: start.codeChallenge,
          code_challenge_method: 'S256',
          ...(request.loginHint ? { login_hint: request.loginHint } : {}),
        });
        return { url: `${issuer}/authorize?${query}`, ...start };
      },
      async complete(params, completeOptions) {
        const callback = await signIns.complete(params, classifyFailure, {
          binding: completeOptions?.binding,
        });
        const body = await post('/token', {
          grant_type: 'authorization_code',
          code: callback.code,
          redirect_uri: callback.redirectUri,
          code_verifier: callback.codeVerifier,
        });
        const identity = identityOf(body, accountId);
        assertExpectedMailbox(identity, completeOptions);
        await session.tokens.save({
          ...tokenSet(body, identity.mailbox),
          extra: identityTokenExtra(identity),
        });
        session.signedIn(identity);
        return identity;
      },
    },
    dispose: () => session.dispose(),
  };
}

/** Who signed in, from the ID token the token endpoint returned directly (over TLS) to this client. */
function identityOf(body: Record<string, unknown>, accountId: string): MailboxIdentity {
  const payload = typeof body.id_token === 'string' ? (body.id_token.split('.')[1] ?? '') : '';
  const claims = (payload ? JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) : {}) as Record<
    string,
    unknown
  >;
  if (typeof claims.email !== 'string') {
    throw mailplugError(
      CoreErrorCode.ConfigInvalid,
      'developer',
      `The sign-in of account "${accountId}" returned no ID token with an email address.`,
      'Request the "openid" and "email" scopes, and enable them for the OAuth app at the identity provider.',
    );
  }
  return {
    mailbox: claims.email,
    ...(typeof claims.sub === 'string' ? { subject: claims.sub } : {}),
    ...(typeof claims.name === 'string' ? { displayName: claims.name } : {}),
  };
}
