/** One account's Microsoft 365 delegated session: sign-in flows, silent refresh, sign-out. */
import type { AuthenticationResult } from '@azure/msal-node';
import {
  type AuthSession,
  type AuthSessionInit,
  assertExpectedMailbox,
  assertProtocolServed,
  type CompleteSignInOptions,
  CoreErrorCode,
  type CredentialRequest,
  createTokenManager,
  createTokenSession,
  type DeviceCodeSignIn,
  Emitter,
  isMailplugError,
  type MailboxIdentity,
  mailplugError,
  type OAuth2Credential,
  type ProtocolId,
  type SessionChange,
  type SignOutResult,
  type TokenSet,
  type TokenTuningOptions,
} from '@mailplug/core';
import {
  classifyEntraError,
  delegatedGraphScope,
  delegatedScopesToRequest,
  isMicrosoftMailProtocol,
  MicrosoftErrorCode,
  scopesCoverProtocol,
} from '@mailplug/microsoft-identity';
import { createDeviceCodeSignIn } from './device-code-sign-in.js';
import { createInteractiveSignIn, type DelegatedInteractiveSignIn } from './interactive-sign-in.js';
import {
  createMsalSession,
  identityFromResult,
  type MsalSessionOptions,
  mailboxIdentity,
  type SignedInIdentity,
  toTokenSet,
  xoauth2User,
} from './msal-session.js';
import type { M365DelegatedSettings } from './settings.js';
import { createSsoHandoff, type M365SsoHandoff } from './sso.js';

/** What the provider factory passes on to each session. */
export interface M365DelegatedSessionOptions extends MsalSessionOptions, TokenTuningOptions {
  /** How long a started browser sign-in stays valid. Default: core's (10 minutes). */
  readonly signInTtlMs?: number;
}

/** A delegated session: browser and device-code sign-in, plus the SSO hand-off from a host's own sign-in. */
export interface M365DelegatedSession extends AuthSession {
  readonly interactive: DelegatedInteractiveSignIn;
  readonly deviceCode: DeviceCodeSignIn;
  /** Re-use a host's Microsoft sign-in: silent when possible, otherwise an incremental-consent redirect. */
  readonly sso: M365SsoHandoff;
}

const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

const homeAccountIdOf = (tokens: TokenSet | undefined) =>
  typeof tokens?.extra?.homeAccountId === 'string' ? tokens.extra.homeAccountId : undefined;

export function createM365DelegatedSession(
  providerId: string,
  settings: M365DelegatedSettings,
  init: AuthSessionInit,
  options: M365DelegatedSessionOptions,
): M365DelegatedSession {
  const { accountId } = init;
  const now = init.now ?? Date.now;
  const msal = createMsalSession(init, settings, options);

  const graphScope = delegatedGraphScope(settings.cloud);
  /**
   * The sign-in's scopes: the Exchange Online ones of the mail protocols used, or — for an account
   * that only sends through Graph — Graph's `Mail.Send`. Never both resources in one request
   * (AADSTS28000/70011): Graph tokens for a mixed account come from the same refresh token later.
   */
  const scopesFor = (protocols?: readonly ProtocolId[]) => {
    const wanted = protocols && protocols.length > 0 ? protocols : settings.protocols;
    if (wanted.includes('graph') && !wanted.some(isMicrosoftMailProtocol)) {
      return [graphScope, 'offline_access'];
    }
    return delegatedScopesToRequest(wanted, settings.cloud);
  };

  async function refresh(current: TokenSet | undefined, scopes: string[] = scopesFor()) {
    const account = await msal.findAccount(homeAccountIdOf(current));
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
      scopes,
      forceRefresh: true,
    });
    // msal keeps the refresh token in its cache, out of the manager's sight; the cache fingerprint
    // tells whether Entra ID rotated it, and the manager reports `changed`/`rotated` from that.
    const rotated = before !== (await msal.cacheFingerprint(account.homeAccountId));
    const identity = identityFromResult(result, settings);
    return { ...toTokenSet(result, xoauth2User(settings, identity), identity, now), rotated };
  }

  const session = createTokenSession(init, {
    refresh: (current) => refresh(current),
    // A user's refresh: missing consent is fixed by that user signing in again (AADSTS65001).
    classify: (error) => classifyEntraError(error, { flow: 'delegated' }),
    ...(options.earlyRefreshMs !== undefined ? { earlyRefreshMs: options.earlyRefreshMs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
  });

  /**
   * Checks who signed in and keeps the sign-in. `expectedMailbox` comes from the SSO hand-off (the
   * host user's address), `complete` from the host (core's expected-mailbox check, the From address).
   */
  async function finishSignIn(
    result: AuthenticationResult,
    expectedMailbox?: string,
    complete?: CompleteSignInOptions,
  ): Promise<MailboxIdentity> {
    let identity: SignedInIdentity;
    let signedIn: MailboxIdentity;
    try {
      identity = identityFromResult(result, settings, expectedMailbox);
      signedIn = mailboxIdentity(identity, xoauth2User(settings, identity));
      assertExpectedMailbox(signedIn, complete);
    } catch (error) {
      // Never keep a refused account (personal, wrong mailbox) in the cache.
      if (result.account) await (await msal.app()).getTokenCache().removeAccount(result.account);
      throw error;
    }
    await session.tokens.save(toTokenSet(result, signedIn.mailbox, identity, now));
    session.signedIn(signedIn);
    return signedIn;
  }

  const mailProtocols = settings.protocols.filter(isMicrosoftMailProtocol);
  const usesGraph = settings.protocols.includes('graph');
  // Graph beside a mail protocol: the sign-in's token is an Exchange one, so Graph tokens come from
  // the same refresh token under their own keys (`<accountId>:graph:…`) and never overwrite it.
  const graphTokens =
    usesGraph && mailProtocols.length > 0
      ? createTokenManager({
          accountId: `${accountId}:graph`,
          store: init.tokenStore,
          // The signed-in account is the one the Exchange token names.
          refresh: async () => {
            const tokens = await refresh(await session.tokens.load(), [graphScope]);
            // msal names Graph scopes bare (`Mail.Send`); keep them under their resource.
            const resource = graphScope.slice(0, graphScope.lastIndexOf('/'));
            const qualified = tokens.scopes.map((s) =>
              s.includes('://') || OIDC_SCOPES.has(s) ? s : `${resource}/${s}`,
            );
            return { ...tokens, scopes: qualified };
          },
          classify: (error) => classifyEntraError(error, { flow: 'delegated' }),
          acquireWhenEmpty: true,
          ...(options.earlyRefreshMs !== undefined ? { earlyRefreshMs: options.earlyRefreshMs } : {}),
          ...(options.retry ? { retry: options.retry } : {}),
          ...(init.now ? { now: init.now } : {}),
          ...(init.logger ? { logger: init.logger } : {}),
        })
      : undefined;
  const changes = new Emitter<SessionChange>();
  const forwarding = [
    session.onDidChangeSession((change) => changes.fire(change)),
    ...(graphTokens ? [graphTokens.onDidChange((change) => changes.fire({ ...change, accountId }))] : []),
  ];

  const served: ProtocolId[] = [...mailProtocols, ...(usesGraph ? ['graph'] : [])];
  async function getCredential(request: CredentialRequest): Promise<OAuth2Credential> {
    assertProtocolServed(request.protocol, {
      accountId,
      served,
      ...(isMicrosoftMailProtocol(request.protocol)
        ? {
            hint: `Add "${request.protocol}" to the account's protocols setting and sign in again to grant its permission.`,
          }
        : {}),
    });
    if (request.protocol === 'graph' && graphTokens) {
      // Nobody signed in (or the sign-in must be repeated): the account's own error says so.
      if ((await session.tokens.state()) !== 'authorized') return session.tokens.getCredential(request);
      return graphTokens.getCredential(request);
    }
    const credential = await session.tokens.getCredential(request);
    if (
      isMicrosoftMailProtocol(request.protocol) &&
      !scopesCoverProtocol(credential.scopes, request.protocol)
    ) {
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

  /** Microsoft has no endpoint that revokes one app's refresh token: the grant is forgotten locally. */
  async function forgetMsalAccount(stored: TokenSet): Promise<SignOutResult> {
    try {
      const account = await msal.findAccount(homeAccountIdOf(stored));
      if (account) await (await msal.app()).getTokenCache().removeAccount(account);
    } catch (error) {
      // A missing secret must not stop the local forget (the store's msal cache goes with the account).
      if (!isMailplugError(error)) throw error;
    }
    return { revocation: 'unsupported' };
  }

  const interactive = createInteractiveSignIn({
    init,
    settings,
    msal,
    scopesFor,
    finishSignIn,
    ...(options.signInTtlMs !== undefined ? { signInTtlMs: options.signInTtlMs } : {}),
  });
  const protocol = served[0] ?? 'smtp';

  return {
    providerId,
    accountId,
    interactive,
    deviceCode: createDeviceCodeSignIn({ msal, now, scopesFor, finishSignIn }),
    sso: createSsoHandoff({
      settings,
      msal,
      scopesFor,
      finishSignIn,
      interactive,
      tokenStore: init.tokenStore,
    }),
    getCredential,
    async checkAuthorization() {
      const status = await session.checkAuthorization({ probe: () => getCredential({ protocol }) });
      // Scopes are named under their resource, so a Graph token's show beside the Exchange ones.
      const graph = await graphTokens?.load();
      return graph
        ? { ...status, grantedScopes: [...new Set([...status.grantedScopes, ...graph.scopes])] }
        : status;
    },
    async signOut() {
      await graphTokens?.clear();
      const result = await session.signOut(forgetMsalAccount);
      msal.reset();
      return result;
    },
    onDidChangeSession: changes.event,
    dispose: () => {
      for (const subscription of forwarding) subscription.dispose();
      graphTokens?.dispose();
      session.dispose();
      changes.dispose();
    },
  };
}
