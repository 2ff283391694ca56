import { createRequire } from 'node:module';
import {
  type ActivationContext,
  type AuthProvider,
  type AuthSession,
  type AuthSessionInit,
  assertExpectedMailbox,
  assertProtocolServed,
  classifyFailure,
  createAuthorizationCodeSignIns,
  createTokenSession,
  defineAuthProvider,
  identityTokenExtra,
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
/** Scopes to request: who signed in (OpenID Connect), a refresh token, each protocol's mail scope. */
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
  const { id, label, ...tuning } = options;
  return defineAuthProvider({ contribution, id, label, createSession: (...a) => bindAccount(...a, tuning) });
}

/** The default instance, registered by `activate`. */
export const __CAMEL__: AuthProvider = create__PASCAL__();

/** Called by the Mailplug registry on first use of the `__PROVIDER_ID__` provider id. */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerAuthProvider(__CAMEL__));
}

type Json = Record<string, unknown>;

/** One account's session: sign-in, silent refresh, sign-out. */
function bindAccount(values: SettingsValues, init: AuthSessionInit, id: string, tuning: TokenTuningOptions) {
  const { accountId } = init;
  const now = init.now ?? Date.now;
  const [issuer, clientId] = [values.requiredText('issuer'), values.requiredText('clientId')];
  const secretRef = values.requiredSecret('clientSecret');
  const served = contribution.capabilities.protocols;

  /** POSTs a form with the client's credentials; every failure becomes a classified MailplugError. */
  async function post(path: string, form: Record<string, string>): Promise<Json> {
    try {
      const secret = await resolveSecret(init.secrets, secretRef, 'the client secret');
      const body = new URLSearchParams({ ...form, client_id: clientId, client_secret: secret });
      const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
      const reply = await fetch(`${issuer}${path}`, { method: 'POST', body, signal });
      const text = await reply.text();
      const json = (text.startsWith('{') ? JSON.parse(text) : {}) as Json;
      // Some providers answer errors with HTTP 200; classifyFailure reads `status` and `error`.
      if (reply.ok && json.error === undefined) return json;
      throw Object.assign(new Error(`${path}: HTTP ${reply.status}`), {
        status: reply.status,
        error: json.error,
      });
    } catch (failure) {
      throw classifyFailure(failure);
    }
  }

  /** A token response on the session's clock; without a new refresh token the old one stays. */
  const tokenSet = (body: Json, user: string, previous?: TokenSet): TokenSet => ({
    accessToken: String(body.access_token),
    expiresAt: now() + Number(body.expires_in ?? 3600) * 1000,
    refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : previous?.refreshToken,
    // RFC 6749 separates scopes with spaces; some providers use commas.
    scopes: typeof body.scope === 'string' ? body.scope.split(/[\s,]+/).filter(Boolean) : SCOPES,
    user,
    extra: previous?.extra ?? {},
  });

  const session = createTokenSession(init, {
    ...tuning,
    refresh: async (current) => {
      const form = { grant_type: 'refresh_token', refresh_token: current?.refreshToken ?? '' };
      return tokenSet(await post('/token', form), current?.user ?? '', current);
    },
  });
  const signIns = createAuthorizationCodeSignIns(init);
  const probe = () => session.tokens.getCredential({ protocol: served[0] ?? 'smtp' });

  return {
    providerId: id,
    accountId,
    onDidChangeSession: session.onDidChangeSession,
    getCredential(request) {
      assertProtocolServed(request.protocol, { accountId, served });
      return session.tokens.getCredential(request);
    },
    checkAuthorization: () => session.checkAuthorization({ probe }),
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
          ...{
            response_type: 'code',
            client_id: clientId,
            redirect_uri: start.redirectUri,
            state: start.state,
          },
          ...{ scope: SCOPES.join(' '), code_challenge: start.codeChallenge, code_challenge_method: 'S256' },
          ...(request.loginHint ? { login_hint: request.loginHint } : {}),
        });
        return { url: `${issuer}/authorize?${query}`, ...start };
      },
      async complete(params, options) {
        const callback = await signIns.complete(params, classifyFailure, options);
        const { code, redirectUri: redirect_uri, codeVerifier: code_verifier } = callback;
        const body = await post('/token', {
          grant_type: 'authorization_code',
          code,
          redirect_uri,
          code_verifier,
        });
        const identity = identityOf(body);
        assertExpectedMailbox(identity, options);
        await session.tokens.save({
          ...tokenSet(body, identity.mailbox),
          extra: identityTokenExtra(identity),
        });
        session.signedIn(identity);
        return identity;
      },
    },
    dispose: () => session.dispose(),
  } satisfies AuthSession;
}

/** Who signed in: the ID token the token endpoint returned directly (over TLS) to this client. */
function identityOf(body: Json) {
  const [, payload = ''] = typeof body.id_token === 'string' ? body.id_token.split('.') : [];
  const claims = (payload ? JSON.parse(Buffer.from(payload, 'base64url').toString()) : {}) as Json;
  if (typeof claims.email !== 'string') {
    const fix =
      'Request the "openid" and "email" scopes, and allow them for the app at the identity provider.';
    throw mailplugError('CONFIG_INVALID', 'admin', 'The sign-in returned no email address.', fix);
  }
  const subject = typeof claims.sub === 'string' ? { subject: claims.sub } : {};
  return {
    mailbox: claims.email,
    ...subject,
    ...(typeof claims.name === 'string' ? { displayName: claims.name } : {}),
  };
}
