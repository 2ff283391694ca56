/** One account's Microsoft 365 delegated session: sign-in flows, silent refresh, sign-out. */
import { type AuthenticationResult, CryptoProvider, type DeviceCodeRequest } from '@azure/msal-node';
import {
  type AuthorizationStatus,
  type AuthProvider,
  type AuthProviderInit,
  type BeginSignInRequest,
  CoreErrorCode,
  type CredentialRequest,
  createPendingSignIns,
  createTokenManager,
  type DeviceCodeSignInOptions,
  Emitter,
  isMailplugError,
  type MailboxIdentity,
  mailplugError,
  type OAuth2Credential,
  type ProtocolId,
  type SessionChange,
  type SignInCallbackParams,
  type SignInStart,
  type SignOutResult,
  type StoredValue,
  type TokenManagerOptions,
  type TokenSet,
} from '@mailplug/core';
import {
  classifyEntraError,
  delegatedScopesToRequest,
  isMicrosoftMailProtocol,
  MicrosoftErrorCode,
  scopesCoverProtocol,
} from '@mailplug/microsoft-identity';
import {
  createMsalSession,
  identityFromResult,
  type MsalSessionOptions,
  type SignedInIdentity,
  toTokenSet,
  xoauth2User,
} from './msal-session.js';
import { M365_DELEGATED_PROVIDER_ID, parseM365DelegatedSettings } from './settings.js';
import { createSsoHandoff, type ExistingAccountHandoff, type HandoffResult } from './sso.js';

export interface M365DelegatedSessionOptions extends MsalSessionOptions {
  /** TokenManager tuning (early refresh window, retry policy, sleep) — mostly for tests. */
  readonly tokenManager?: Pick<
    TokenManagerOptions,
    'earlyRefreshMs' | 'retry' | 'sleep' | 'random' | 'expiringSoonWindowMs'
  >;
}

/** The delegated session adds the SSO hand-off to the spec's AuthProvider. */
export interface M365DelegatedSession extends AuthProvider {
  /** Re-use a host's Microsoft sign-in: silent when possible, otherwise an incremental-consent redirect. */
  signInWithExistingAccount(handoff: ExistingAccountHandoff): Promise<HandoffResult>;
  /** Import the host's own msal cache entries for one user (same app registration), then sign in silently. */
  adoptHostSession(
    handoff: ExistingAccountHandoff & { readonly serializedCache: string },
  ): Promise<HandoffResult>;
}

const toIdentity = (i: SignedInIdentity, mailbox: string): MailboxIdentity => ({
  mailbox,
  ...(i.displayName ? { displayName: i.displayName } : {}),
  ...(i.objectId ? { subject: i.objectId } : {}),
  ...(i.tenantId ? { tenantId: i.tenantId } : {}),
});

export function createM365DelegatedSession(
  init: AuthProviderInit,
  options: M365DelegatedSessionOptions = {},
): M365DelegatedSession {
  const settings = parseM365DelegatedSettings(init.settings);
  const { accountId } = init;
  const now = init.now ?? Date.now;
  const msal = createMsalSession(init, settings, options);
  const pending = createPendingSignIns({ store: init.tokenStore, now });
  const emitter = new Emitter<SessionChange>();

  const scopesFor = (protocols?: readonly ProtocolId[]) =>
    delegatedScopesToRequest(
      protocols && protocols.length > 0 ? protocols : settings.protocols,
      settings.cloud,
    );

  const tokens = createTokenManager({
    accountId,
    store: init.tokenStore,
    classify: classifyEntraError,
    ...(init.now ? { now: init.now } : {}),
    ...(init.logger ? { logger: init.logger } : {}),
    ...options.tokenManager,
    async refresh(current) {
      const homeAccountId =
        typeof current?.extra?.homeAccountId === 'string' ? current.extra.homeAccountId : undefined;
      const account = await msal.findAccount(homeAccountId);
      if (!account || !current) {
        throw mailplugError(
          CoreErrorCode.ReauthRequired,
          'user',
          'The Microsoft sign-in for this account is no longer in the token cache.',
          'Sign in to the mail account again.',
        );
      }
      const before = await msal.cacheFingerprint(account.homeAccountId);
      // The manager asks only when it wants a new token, so msal must not hand back its cached one.
      const result = await (await msal.app()).acquireTokenSilent({
        account,
        scopes: scopesFor(),
        forceRefresh: true,
      });
      // msal keeps the refresh token in its cache, out of the manager's sight; the cache fingerprint
      // tells whether Entra ID rotated it, and the manager reports `changed`/`rotated` from that.
      const rotated = before !== (await msal.cacheFingerprint(account.homeAccountId));
      const identity = identityFromResult(result, settings);
      return { ...toTokenSet(result, xoauth2User(settings, identity), identity), rotated };
    },
  });

  const forwarding = tokens.onDidChange((event) => emitter.fire(event));

  async function finishSignIn(
    result: AuthenticationResult,
    expectedMailbox?: string,
  ): Promise<MailboxIdentity> {
    let identity: SignedInIdentity;
    try {
      identity = identityFromResult(result, settings, expectedMailbox);
    } catch (error) {
      // Never keep a refused account (personal, wrong mailbox) in the cache.
      if (result.account) await (await msal.app()).getTokenCache().removeAccount(result.account);
      throw error;
    }
    const user = xoauth2User(settings, identity);
    await tokens.save(toTokenSet(result, user, identity));
    const mailboxIdentity = toIdentity(identity, user);
    emitter.fire({ type: 'added', accountId, identity: mailboxIdentity });
    return mailboxIdentity;
  }

  async function beginSignIn(
    request: BeginSignInRequest = {},
    extra: { prompt?: string; expectedMailbox?: string } = {},
  ): Promise<SignInStart> {
    const redirectUri = request.redirectUri ?? settings.redirectUri;
    if (!redirectUri) {
      throw mailplugError(
        CoreErrorCode.ConfigInvalid,
        'developer',
        'No redirect URI for the Microsoft sign-in.',
        'Set the redirectUri setting (registered on the app registration) or pass one, e.g. from startLoopbackRedirect().',
      );
    }
    const scopes = scopesFor(request.protocols);
    const pkce = await new CryptoProvider().generatePkceCodes();
    const data: Record<string, StoredValue> = { verifier: pkce.verifier, redirectUri, scopes };
    if (extra.expectedMailbox) data.expectedMailbox = extra.expectedMailbox;
    const { state, expiresAt } = await pending.issue(accountId, data);
    const loginHint = request.loginHint ?? extra.expectedMailbox ?? settings.mailbox;
    const url = await (await msal.app()).getAuthCodeUrl({
      scopes,
      redirectUri,
      codeChallenge: pkce.challenge,
      codeChallengeMethod: 'S256',
      state,
      responseMode: 'query',
      ...(loginHint && !settings.allowSharedMailbox ? { loginHint } : {}),
      ...(extra.prompt ? { prompt: extra.prompt } : {}),
    });
    return { url, state, redirectUri, expiresAt };
  }

  async function completeSignIn(params: SignInCallbackParams): Promise<MailboxIdentity> {
    if (params.error) {
      // Consume the state anyway so it cannot be replayed; ignore if it is already gone.
      if (params.state) await pending.consume(params.state).catch(() => undefined);
      throw classifyEntraError({
        errorCode: params.error,
        errorMessage: `${params.error}: ${params.error_description ?? ''}`,
      });
    }
    const consumed = await pending.consume(params.state ?? '', { accountId });
    if (!params.code) {
      throw mailplugError(
        CoreErrorCode.SignInStateInvalid,
        'user',
        'The sign-in response has no authorization code.',
        'Start the sign-in again.',
      );
    }
    const data = consumed.data;
    let result: AuthenticationResult;
    try {
      result = await (await msal.app()).acquireTokenByCode({
        code: params.code,
        redirectUri: String(data.redirectUri),
        scopes: (data.scopes as string[]) ?? scopesFor(),
        codeVerifier: String(data.verifier),
      });
    } catch (error) {
      throw classifyEntraError(error);
    }
    return finishSignIn(result, typeof data.expectedMailbox === 'string' ? data.expectedMailbox : undefined);
  }

  async function signInWithDeviceCode(opts: DeviceCodeSignInOptions): Promise<MailboxIdentity> {
    const request: DeviceCodeRequest = {
      scopes: scopesFor(opts.protocols),
      deviceCodeCallback: (response) =>
        opts.onPrompt({
          userCode: response.userCode,
          verificationUri: response.verificationUri,
          expiresAt: now() + response.expiresIn * 1000,
          message: response.message,
        }),
      ...(opts.timeoutMs !== undefined ? { timeout: Math.max(1, Math.ceil(opts.timeoutMs / 1000)) } : {}),
    };
    const flow = msal.deviceCodeApp().acquireTokenByDeviceCode(request);
    let stop: (() => void) | undefined;
    const interrupted = new Promise<never>((_, reject) => {
      const abort = (code: 'cancelled' | 'timeout') => {
        request.cancel = true; // msal stops polling at its next tick
        reject(
          code === 'timeout'
            ? mailplugError(
                CoreErrorCode.Timeout,
                'user',
                'The device code sign-in timed out.',
                'Start the sign-in again and enter the code sooner.',
              )
            : mailplugError(
                MicrosoftErrorCode.SignInCancelled,
                'user',
                'The device code sign-in was cancelled.',
                'Start the sign-in again when ready.',
              ),
        );
      };
      const onAbort = () => abort('cancelled');
      if (opts.signal?.aborted) onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const timer =
        opts.timeoutMs !== undefined ? setTimeout(() => abort('timeout'), opts.timeoutMs) : undefined;
      stop = () => {
        opts.signal?.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
      };
    });
    flow.catch(() => undefined);
    let result: AuthenticationResult | null;
    try {
      result = await Promise.race([flow, interrupted]);
    } catch (error) {
      throw classifyEntraError(error);
    } finally {
      stop?.();
    }
    if (!result)
      throw mailplugError(
        MicrosoftErrorCode.SignInFailed,
        'retry',
        'The device code sign-in returned no result.',
        'Start the sign-in again.',
      );
    return finishSignIn(result);
  }

  async function getCredential(request: CredentialRequest): Promise<OAuth2Credential> {
    if (!isMicrosoftMailProtocol(request.protocol) || !settings.protocols.includes(request.protocol)) {
      throw mailplugError(
        CoreErrorCode.ProtocolMismatch,
        'admin',
        `This Microsoft 365 account is not set up for ${request.protocol}.`,
        `Add "${request.protocol}" to the account's protocols setting and sign in again to grant its permission.`,
      );
    }
    const credential = await tokens.getCredential(request);
    if (!scopesCoverProtocol(credential.scopes, request.protocol)) {
      throw mailplugError(
        MicrosoftErrorCode.ConsentRequired,
        'user',
        `The signed-in token does not include the ${request.protocol} permission.`,
        'Sign in again so the newly added protocol can be granted (the admin may need to grant consent for it).',
        { details: { scopes: credential.scopes } },
      );
    }
    return credential;
  }

  async function checkAuthorization(): Promise<AuthorizationStatus> {
    const state = await tokens.state();
    const saved = await tokens.load();
    const extra = saved?.extra ?? {};
    const str = (k: string) => (typeof extra[k] === 'string' ? (extra[k] as string) : undefined);
    const identity: MailboxIdentity | undefined = saved
      ? {
          mailbox: saved.user,
          ...(str('displayName') ? { displayName: str('displayName') } : {}),
          ...(str('objectId') ? { subject: str('objectId') } : {}),
          ...(str('tenantId') ? { tenantId: str('tenantId') } : {}),
        }
      : undefined;
    if (state !== 'authorized' || !saved) {
      return { state, grantedScopes: saved?.scopes ?? [], ...(identity ? { identity } : {}) };
    }
    const protocol = settings.protocols.find(isMicrosoftMailProtocol) ?? 'smtp';
    try {
      const credential = await getCredential({ protocol });
      return {
        state: 'authorized',
        ...(identity ? { identity } : {}),
        grantedScopes: credential.scopes,
        accessTokenExpiresAt: credential.expiresAt,
      };
    } catch (error) {
      const problem = classifyEntraError(error);
      return {
        state:
          problem.action === 'user'
            ? 'reauthRequired'
            : problem.action === 'retry'
              ? 'authorized'
              : 'misconfigured',
        ...(identity ? { identity } : {}),
        grantedScopes: saved.scopes,
        accessTokenExpiresAt: saved.expiresAt,
        problem,
      };
    }
  }

  async function signOut(): Promise<SignOutResult> {
    const saved = await tokens.load();
    const homeAccountId =
      typeof saved?.extra?.homeAccountId === 'string' ? saved.extra.homeAccountId : undefined;
    try {
      const account = await msal.findAccount(homeAccountId);
      if (account) await (await msal.app()).getTokenCache().removeAccount(account);
    } catch (error) {
      // A missing secret must not stop the local forget.
      if (!isMailplugError(error)) throw error;
    }
    await msal.cachePlugin.clear();
    await tokens.clear();
    emitter.fire({ type: 'removed', accountId });
    // Microsoft has no endpoint that revokes one app's refresh token; the grant is forgotten locally.
    return { revocation: saved ? 'unsupported' : 'nothing-to-revoke' };
  }

  const sso = createSsoHandoff({
    settings,
    msal,
    scopesFor,
    finishSignIn,
    beginSignIn,
    tokenStore: init.tokenStore,
  });

  return {
    providerId: M365_DELEGATED_PROVIDER_ID,
    accountId,
    beginSignIn: (request) => beginSignIn(request),
    completeSignIn,
    signInWithDeviceCode,
    getCredential,
    checkAuthorization,
    signOut,
    signInWithExistingAccount: sso.signInWithExistingAccount,
    adoptHostSession: sso.adoptHostSession,
    onDidChangeSession: emitter.event,
    dispose() {
      forwarding.dispose();
      tokens.dispose();
      emitter.dispose();
    },
  };
}

export type { TokenSet };
