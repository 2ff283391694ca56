import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { AuthSessionInit, SignInCallbackParams } from '../spec/v1/auth-provider.js';
import type { MailplugError } from '../spec/v1/mailplug-error.js';
import type { StoredValue } from '../spec/v1/stores.js';
import { createPendingSignIns, createPkcePair } from '../tokens/pending-sign-ins.js';

export interface CodeSignInStart {
  /** Single-use, expiring; goes into the authorization URL as `state`. */
  readonly state: string;
  readonly expiresAt: number;
  readonly redirectUri: string;
  /** PKCE S256 challenge for the authorization URL; the verifier stays in the token store. */
  readonly codeChallenge: string;
}

export interface CodeSignInCallback {
  readonly code: string;
  readonly redirectUri: string;
  readonly codeVerifier: string;
  /** What `begin` was given to remember. */
  readonly data: Readonly<Record<string, StoredValue>>;
}

/** The identity platform's own `error` / `error_description` from a callback. */
export interface SignInCallbackError {
  readonly error: string;
  readonly description?: string;
}

/**
 * The authorization-code + PKCE bookkeeping of `session.interactive`: a single-use state bound to
 * the account, the verifier kept in the token store (so the callback may land on another
 * instance), and the checks of the callback. The provider builds the URL and redeems the code.
 */
export interface AuthorizationCodeSignIns {
  /** Throws `CONFIG_INVALID` (admin) when neither the request nor the settings give a redirect URI. */
  begin(options: {
    readonly redirectUri: string | undefined;
    readonly data?: Readonly<Record<string, StoredValue>>;
    /** The host's opaque binding (`BeginSignInRequest.binding`) that `complete` must present. */
    readonly binding?: string | undefined;
  }): Promise<CodeSignInStart>;
  /**
   * Consumes the state first — a denied or failed callback burns it too — then throws
   * `classifyError(...)` for an `error` callback, or returns the code with what `begin` stored.
   */
  complete(
    params: SignInCallbackParams,
    classifyError: (failure: SignInCallbackError) => MailplugError,
    options?: { readonly binding?: string | undefined },
  ): Promise<CodeSignInCallback>;
}

/**
 * @example
 * const signIns = createAuthorizationCodeSignIns(init);
 * // interactive.begin
 * const start = await signIns.begin({ redirectUri: request.redirectUri ?? settings.redirectUri });
 * const url = buildAuthorizeUrl({ state: start.state, code_challenge: start.codeChallenge, ... });
 * // interactive.complete
 * const { code, codeVerifier, redirectUri } = await signIns.complete(params, classifyCallbackError);
 */
export function createAuthorizationCodeSignIns(
  init: Pick<AuthSessionInit, 'accountId' | 'tokenStore' | 'now'>,
  options: { readonly ttlMs?: number } = {},
): AuthorizationCodeSignIns {
  const { accountId } = init;
  const pending = createPendingSignIns({
    store: init.tokenStore,
    ...(init.now ? { now: init.now } : {}),
    ...(options.ttlMs !== undefined ? { ttlMs: options.ttlMs } : {}),
  });

  return {
    async begin({ redirectUri, data = {}, binding }) {
      if (!redirectUri) {
        throw mailplugError(
          CoreErrorCode.ConfigInvalid,
          'admin',
          `Account "${accountId}" has no redirect URI for the sign-in.`,
          'Set the redirectUri setting to the callback URL registered for the OAuth app, or pass redirectUri to interactive.begin().',
          { details: { accountId } },
        );
      }
      const pkce = createPkcePair();
      const { state, expiresAt } = await pending.issue(
        accountId,
        { ...data, codeVerifier: pkce.verifier, redirectUri },
        binding,
      );
      return { state, expiresAt, redirectUri, codeChallenge: pkce.challenge };
    },

    async complete(params, classifyError, options = {}) {
      const { data } = await pending.consume(params.state ?? '', {
        accountId,
        ...(options.binding !== undefined ? { binding: options.binding } : {}),
      });
      if (params.error) {
        throw classifyError({
          error: params.error,
          ...(params.error_description ? { description: params.error_description } : {}),
        });
      }
      if (!params.code) {
        throw mailplugError(
          CoreErrorCode.SignInStateInvalid,
          'developer',
          'The sign-in callback carried neither a code nor an error.',
          'Pass every query parameter of the redirect to interactive.complete().',
          { details: { accountId } },
        );
      }
      return {
        code: params.code,
        redirectUri: String(data.redirectUri),
        codeVerifier: String(data.codeVerifier),
        data,
      };
    },
  };
}
