/**
 * The msal side of one delegated account: lazily built client applications sharing one persisted
 * cache, account lookup and the AuthenticationResult → TokenSet conversion.
 */
import {
  type AccountInfo,
  type AuthenticationResult,
  ConfidentialClientApplication,
  type IdTokenClaims,
  PublicClientApplication,
} from '@azure/msal-node';
import {
  type AuthSessionInit,
  identityTokenExtra,
  type MailboxIdentity,
  type MailplugError,
  mailplugError,
  resolveSecret,
  type TokenSet,
} from '@mailplug/core';
import {
  accessTokenExpiresAt,
  createTokenStoreCachePlugin,
  type EntraIdentityClaims,
  isPersonalAccountTenant,
  lazyClientApplication,
  MicrosoftErrorCode,
  mailboxFromClaims,
  msalConfigurationFor,
  msalTransportExtras,
  refreshTokenFingerprint,
  sameMailbox,
  type TokenTransportOptions,
} from '@mailplug/microsoft-identity';
import type { M365DelegatedSettings } from './settings.js';

export interface MsalSessionOptions extends TokenTransportOptions {
  /** Observes every request msal makes (never a body); throwing refuses it. */
  readonly onRequest?: (info: { readonly method: 'GET' | 'POST'; readonly url: string }) => void;
}

export type ClientApp = PublicClientApplication | ConfidentialClientApplication;

export function createMsalSession(
  init: AuthSessionInit,
  settings: M365DelegatedSettings,
  options: MsalSessionOptions,
) {
  const cachePlugin = createTokenStoreCachePlugin({ store: init.tokenStore, accountId: init.accountId });
  let publicApp: PublicClientApplication | undefined;

  const baseConfig = (clientSecret?: string) =>
    msalConfigurationFor(settings, {
      clientSecret,
      cachePlugin,
      ...msalTransportExtras(options),
      onRequest: options.onRequest,
      logger: init.logger,
    });

  /** Confidential when a secret is configured (web apps), public otherwise (desktop, CLI). */
  const application = lazyClientApplication<ClientApp>(async () => {
    if (settings.clientSecret) {
      const secret = await resolveSecret(init.secrets, settings.clientSecret, 'the client secret');
      return new ConfidentialClientApplication(baseConfig(secret));
    }
    return new PublicClientApplication(baseConfig());
  });
  const app = () => application.get();

  /** Device code is a public-client flow in msal; the app registration must allow public client flows. */
  function deviceCodeApp(): PublicClientApplication {
    publicApp ??= new PublicClientApplication(baseConfig());
    return publicApp;
  }

  async function findAccount(
    homeAccountId: string | undefined,
    username?: string,
  ): Promise<AccountInfo | undefined> {
    const accounts = await (await app()).getTokenCache().getAllAccounts();
    return (
      accounts.find((a) => homeAccountId && a.homeAccountId === homeAccountId) ??
      accounts.find((a) => username && sameMailbox(a.username, username))
    );
  }

  async function cacheFingerprint(homeAccountId?: string): Promise<string | undefined> {
    const stored = await init.tokenStore.get(cachePlugin.key);
    return refreshTokenFingerprint(typeof stored === 'string' ? stored : undefined, homeAccountId);
  }

  /** Sign-out: the next use builds fresh applications, with empty in-memory caches. */
  function reset(): void {
    application.reset();
    publicApp = undefined;
  }

  return { app, deviceCodeApp, findAccount, cacheFingerprint, cachePlugin, reset };
}

export type MsalSession = ReturnType<typeof createMsalSession>;

export interface SignedInIdentity {
  readonly signedInAs: string;
  readonly tenantId?: string;
  readonly objectId?: string;
  readonly displayName?: string;
  readonly homeAccountId: string;
}

/** Reads and checks who signed in: work or school accounts only; the configured mailbox must match. */
export function identityFromResult(
  result: AuthenticationResult,
  settings: M365DelegatedSettings,
  expectedMailbox?: string,
): SignedInIdentity {
  const account = result.account;
  const claims = (result.idTokenClaims ?? account?.idTokenClaims ?? {}) as IdTokenClaims &
    EntraIdentityClaims;
  const tenantId = claims.tid ?? account?.tenantId;
  if (isPersonalAccountTenant(tenantId)) {
    throw mailplugError(
      MicrosoftErrorCode.PersonalAccount,
      'user',
      'A personal Microsoft account (outlook.com, hotmail.com) signed in; only work or school accounts can be used.',
      'Sign in with the Microsoft 365 work or school account of the mailbox (personal Outlook.com accounts are not supported).',
      { details: { tenantId } },
    );
  }
  const signedInAs = mailboxFromClaims(claims, account?.username);
  if (!signedInAs || !account) {
    throw mailplugError(
      MicrosoftErrorCode.SignInFailed,
      'developer',
      'The Microsoft sign-in returned no account or id token.',
      'Request the openid and profile scopes (msal adds them by default) so the mailbox can be identified.',
    );
  }
  const expected = expectedMailbox ?? (settings.allowSharedMailbox ? undefined : settings.mailbox);
  if (expected && !sameMailbox(expected, signedInAs)) throw mailboxMismatch(expected, signedInAs);
  return {
    signedInAs,
    homeAccountId: account.homeAccountId,
    ...(tenantId ? { tenantId } : {}),
    ...(claims.oid ? { objectId: claims.oid } : {}),
    ...(claims.name ? { displayName: claims.name } : {}),
  };
}

export function mailboxMismatch(expected: string, actual: string): MailplugError {
  return mailplugError(
    MicrosoftErrorCode.MailboxMismatch,
    'user',
    `${actual} signed in, but this account is configured for ${expected}.`,
    `Sign in as ${expected}, or (for a shared mailbox a delegate uses) ask the admin to enable "Shared mailbox".`,
    { details: { expected, actual } },
  );
}

/** The XOAUTH2 user: the shared mailbox address when enabled, else the signed-in address. */
export function xoauth2User(settings: M365DelegatedSettings, identity: SignedInIdentity): string {
  return settings.allowSharedMailbox && settings.mailbox ? settings.mailbox : identity.signedInAs;
}

/** The mailbox identity a host shows: the XOAUTH2 user, with who signed in as its subject. */
export function mailboxIdentity(identity: SignedInIdentity, mailbox: string): MailboxIdentity {
  return {
    mailbox,
    ...(identity.displayName ? { displayName: identity.displayName } : {}),
    ...(identity.objectId ? { subject: identity.objectId } : {}),
    ...(identity.tenantId ? { tenantId: identity.tenantId } : {}),
  };
}

export function toTokenSet(
  result: AuthenticationResult,
  user: string,
  identity: SignedInIdentity,
  now: () => number,
): TokenSet {
  return {
    accessToken: result.accessToken,
    expiresAt: accessTokenExpiresAt(result, now),
    scopes: [...result.scopes],
    user,
    extra: {
      ...identityTokenExtra(mailboxIdentity(identity, user)),
      homeAccountId: identity.homeAccountId,
      signedInAs: identity.signedInAs,
    },
  };
}
