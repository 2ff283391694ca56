/**
 * SSO hand-off: hosts that already sign their users in with Microsoft (Case Manager's "Microsoft
 * SSO") only need the mail scopes added. Either the user's account is already in this account's
 * msal cache (silent), the host hands over its own msal cache entries for that user (same app
 * registration), or we start an incremental-consent redirect with `login_hint` for just the mail
 * scopes. The mailbox must match the user's email in the host.
 */
import type { AuthenticationResult } from '@azure/msal-node';
import type { MailboxIdentity, ProtocolId, SignInStart, TokenStore } from '@mailplug/core';
import {
  classifyEntraError,
  type EntraIdentityClaims,
  mailboxFromClaims,
  sameMailbox,
} from '@mailplug/microsoft-identity';
import type { DelegatedInteractiveSignIn } from './interactive-sign-in.js';
import { type MsalSession, mailboxMismatch } from './msal-session.js';
import type { M365DelegatedSettings } from './settings.js';

export interface ExistingAccountHandoff {
  /** msal `homeAccountId` (`<oid>.<tid>`) of the user signed in to the host. */
  readonly homeAccountId?: string;
  /** The host's id token claims for the user (preferred_username / upn / email, oid, tid). */
  readonly idTokenClaims?: EntraIdentityClaims;
  /** The user's email as the host knows it; the mailbox must match it. */
  readonly loginHint?: string;
  /** Where the consent redirect returns, when one is needed. */
  readonly redirectUri?: string;
  /** The host's binding for the consent redirect (see `BeginSignInRequest.binding`). */
  readonly binding?: string;
  readonly protocols?: readonly ProtocolId[];
}

export type HandoffResult =
  | { readonly status: 'signedIn'; readonly identity: MailboxIdentity }
  /** Send the browser to `signIn.url` (incremental consent for the mail scopes), then `interactive.complete`. */
  | { readonly status: 'consentRequired'; readonly signIn: SignInStart };

interface SsoDeps {
  readonly settings: M365DelegatedSettings;
  readonly msal: MsalSession;
  readonly tokenStore: TokenStore;
  scopesFor(protocols?: readonly ProtocolId[]): string[];
  finishSignIn(result: AuthenticationResult, expectedMailbox?: string): Promise<MailboxIdentity>;
  readonly interactive: Pick<DelegatedInteractiveSignIn, 'begin'>;
}

/**
 * Re-using a host's own Microsoft sign-in (its "Microsoft SSO") for the mail scopes.
 *
 * @example
 * const r = await session.sso.signIn({ idTokenClaims: req.user.claims, redirectUri });
 * if (r.status === 'consentRequired') res.redirect(r.signIn.url);
 */
export interface M365SsoHandoff {
  /** Silent when this account's cache already holds the user; otherwise an incremental-consent redirect. */
  signIn(handoff: ExistingAccountHandoff): Promise<HandoffResult>;
  /** Imports the host's own msal cache entries for one user (same app registration), then signs in silently. */
  adoptHostSession(
    handoff: ExistingAccountHandoff & { readonly serializedCache: string },
  ): Promise<HandoffResult>;
}

const CACHE_SECTIONS = ['Account', 'IdToken', 'AccessToken', 'RefreshToken'] as const;

/** Keeps only one user's entries of a serialized msal cache (a host cache may hold many users). */
function filterSerializedCache(serialized: string, homeAccountId: string): string {
  const parsed = JSON.parse(serialized) as Record<string, Record<string, { home_account_id?: string }>>;
  const out: Record<string, unknown> = { ...parsed };
  for (const section of CACHE_SECTIONS) {
    const entries = parsed[section] ?? {};
    out[section] = Object.fromEntries(
      Object.entries(entries).filter(([, v]) => v.home_account_id === homeAccountId),
    );
  }
  return JSON.stringify(out);
}

export function createSsoHandoff(deps: SsoDeps): M365SsoHandoff {
  const { settings, msal } = deps;

  function hostEmail(handoff: ExistingAccountHandoff): string | undefined {
    return handoff.loginHint ?? mailboxFromClaims(handoff.idTokenClaims);
  }

  /** The mailbox configured for the account must be the host user's address (unless shared). */
  function expectedMailbox(handoff: ExistingAccountHandoff): string | undefined {
    const email = hostEmail(handoff);
    if (settings.mailbox && email && !settings.allowSharedMailbox && !sameMailbox(settings.mailbox, email)) {
      throw mailboxMismatch(settings.mailbox, email);
    }
    return email;
  }

  function homeIdOf(handoff: ExistingAccountHandoff): string | undefined {
    if (handoff.homeAccountId) return handoff.homeAccountId;
    const c = handoff.idTokenClaims as (EntraIdentityClaims & { oid?: string; tid?: string }) | undefined;
    return c?.oid && c.tid ? `${c.oid}.${c.tid}` : undefined;
  }

  async function trySilent(
    handoff: ExistingAccountHandoff,
    expected: string | undefined,
  ): Promise<HandoffResult | undefined> {
    const account = await msal.findAccount(homeIdOf(handoff), expected);
    if (!account) return undefined;
    let result: AuthenticationResult;
    try {
      result = await (await msal.app()).acquireTokenSilent({
        account,
        scopes: deps.scopesFor(handoff.protocols),
      });
    } catch (error) {
      const classified = classifyEntraError(error, { flow: 'delegated' });
      // Consent for the mail scopes missing, or the cached sign-in is stale: fall back to a redirect.
      if (classified.action === 'user' || classified.action === 'admin') return undefined;
      throw classified;
    }
    return { status: 'signedIn', identity: await deps.finishSignIn(result, expected) };
  }

  async function consentRedirect(
    handoff: ExistingAccountHandoff,
    expected: string | undefined,
  ): Promise<HandoffResult> {
    const signIn = await deps.interactive.begin(
      {
        ...(handoff.redirectUri ? { redirectUri: handoff.redirectUri } : {}),
        ...(handoff.binding ? { binding: handoff.binding } : {}),
        ...(expected ? { loginHint: expected } : {}),
        ...(handoff.protocols ? { protocols: handoff.protocols } : {}),
      },
      { prompt: 'consent', ...(expected ? { expectedMailbox: expected } : {}) },
    );
    return { status: 'consentRequired', signIn };
  }

  return {
    async signIn(handoff) {
      const expected = expectedMailbox(handoff);
      return (await trySilent(handoff, expected)) ?? consentRedirect(handoff, expected);
    },

    async adoptHostSession(handoff) {
      const expected = expectedMailbox(handoff);
      const homeId = homeIdOf(handoff);
      if (homeId) {
        const filtered = filterSerializedCache(handoff.serializedCache, homeId);
        await deps.tokenStore.withLock(msal.cachePlugin.key, () =>
          deps.tokenStore.set(msal.cachePlugin.key, filtered),
        );
      }
      return (await trySilent(handoff, expected)) ?? consentRedirect(handoff, expected);
    },
  };
}
