import { existsSync } from 'node:fs';
import { isMailplugError, type MailAccount, type TokenStore } from '@mailplug/core';
import type { ConsoleConfig } from './config-store.js';
import type { ConsoleHost } from './host.js';
import { OK } from './output.js';

/**
 * What happened to the provider-side grant (from the provider's `SignOutResult`):
 * - `requested`: the provider revoked the grant (Gmail: at Google); for an adapter that does not
 *   report a result, its sign-out ran without an error;
 * - `failed`: the provider tried to revoke and could not (see `warnings`);
 * - `not-supported`: the provider has no revocation, so only the local tokens were forgotten
 *   (Microsoft 365 delegated);
 * - `nothing-to-revoke`: nobody was signed in;
 * - `not-applicable`: the sign-in method has no user grant (password, app-only).
 */
export type RevocationOutcome =
  | 'requested'
  | 'failed'
  | 'not-supported'
  | 'nothing-to-revoke'
  | 'not-applicable';

export interface SignOutWarning {
  readonly message: string;
  readonly code?: string;
}

export interface SignOutOutcome {
  readonly accountId: string;
  readonly provider: string;
  readonly providerLabel: string;
  /** A saved sign-in (tokens or a "sign in again" state) existed before. */
  readonly wasSignedIn: boolean;
  readonly revocation: RevocationOutcome;
  /** No saved sign-in is left for the account in the token store. */
  readonly tokensForgotten: boolean;
  readonly warnings: readonly SignOutWarning[];
}

/** Core's token manager keeps an account's sign-in under these keys (see core `createTokenManager`). */
const coreTokenKeys = (accountId: string) => [`${accountId}:tokens`, `${accountId}:state`];

async function hasSavedSignIn(store: TokenStore, accountId: string): Promise<boolean> {
  for (const key of coreTokenKeys(accountId)) if ((await store.get(key)) !== undefined) return true;
  return false;
}

/** Whether the sign-in method holds a user's grant (OAuth, not app-only) that can be revoked. */
function hasUserGrant(host: ConsoleHost, account: MailAccount): boolean {
  const caps = host.registry.describeAuthProvider(account.auth.provider)?.capabilities;
  return caps ? caps.credentialKind === 'oauth2' && !caps.appOnly : true;
}

/**
 * Signs an account out through its bound provider session (core mailer `authProviderFor`):
 * the provider revokes where it can, then forgets the stored tokens. A revocation the provider
 * could not do is reported in `warnings` (the provider still forgets the local tokens); an error
 * the provider throws propagates.
 */
export async function signOutAccount(
  host: ConsoleHost,
  config: ConsoleConfig,
  account: MailAccount,
): Promise<SignOutOutcome> {
  const listing = host.registry.describeAuthProvider(account.auth.provider);
  const store = await host.tokenStore();
  const wasSignedIn = await hasSavedSignIn(store, account.id);
  const mailer = await host.mailer(config);
  const session = await mailer.authProviderFor(account);
  const result = (await session.signOut()) ?? undefined;
  const tokensForgotten = !(await hasSavedSignIn(store, account.id));
  const warnings: SignOutWarning[] = result?.error
    ? [{ message: result.error.message, code: result.error.code }]
    : [];
  const revocation: RevocationOutcome = !hasUserGrant(host, account)
    ? 'not-applicable'
    : !wasSignedIn || result?.revocation === 'nothing-to-revoke'
      ? 'nothing-to-revoke'
      : result?.revocation === 'failed'
        ? 'failed'
        : result?.revocation === 'unsupported'
          ? 'not-supported'
          : 'requested';
  return {
    accountId: account.id,
    provider: account.auth.provider,
    providerLabel: listing?.label ?? account.auth.provider,
    wasSignedIn,
    revocation,
    tokensForgotten,
    warnings,
  };
}

/**
 * `accounts remove`: sign out first, but never let that stop the removal. When the provider's
 * sign-out throws (adapter missing, invalid account, store error), the account's tokens are
 * deleted from the token store directly and the failure becomes a warning. With no token file
 * at all nothing was ever stored, so nothing is opened or created.
 */
export async function signOutBestEffort(
  host: ConsoleHost,
  config: ConsoleConfig,
  account: MailAccount,
): Promise<SignOutOutcome> {
  const base = {
    accountId: account.id,
    provider: account.auth.provider,
    providerLabel: host.registry.describeAuthProvider(account.auth.provider)?.label ?? account.auth.provider,
  };
  if (!existsSync(host.files.tokens)) {
    return {
      ...base,
      wasSignedIn: false,
      revocation: hasUserGrant(host, account) ? 'nothing-to-revoke' : 'not-applicable',
      tokensForgotten: true,
      warnings: [],
    };
  }
  try {
    return await signOutAccount(host, config, account);
  } catch (error) {
    const warnings: SignOutWarning[] = [
      {
        message: `Signing out through ${base.providerLabel} failed: ${error instanceof Error ? error.message : String(error)}`,
        ...(isMailplugError(error) ? { code: error.code } : {}),
      },
    ];
    let tokensForgotten = false;
    let wasSignedIn = false;
    try {
      const store = await host.tokenStore();
      wasSignedIn = await hasSavedSignIn(store, account.id);
      for (const key of coreTokenKeys(account.id)) await store.delete(key);
      tokensForgotten = true;
    } catch (storeError) {
      warnings.push({
        message: `The stored tokens could not be forgotten: ${storeError instanceof Error ? storeError.message : String(storeError)}`,
        ...(isMailplugError(storeError) ? { code: storeError.code } : {}),
      });
    }
    return {
      ...base,
      wasSignedIn,
      revocation: !hasUserGrant(host, account)
        ? 'not-applicable'
        : wasSignedIn
          ? 'failed'
          : 'nothing-to-revoke',
      tokensForgotten,
      warnings,
    };
  }
}

/** Human lines for a sign-out: what happened at the provider and locally, warnings marked `!`. */
export function renderSignOut(outcome: SignOutOutcome): { lines: string[]; warnings: string[] } {
  const { accountId, providerLabel } = outcome;
  const warnings = outcome.warnings.map((w) => `! ${w.message}${w.code ? ` (${w.code})` : ''}`);
  const local = !outcome.tokensForgotten
    ? 'stored tokens could NOT be forgotten'
    : outcome.wasSignedIn
      ? 'stored tokens forgotten'
      : 'no tokens were stored';
  const lines: string[] = [];
  switch (outcome.revocation) {
    case 'requested':
      lines.push(
        `${OK} Signed out "${accountId}": grant revoked at ${providerLabel} (where it supports revocation); ${local}.`,
      );
      break;
    case 'failed':
      lines.push(
        `${outcome.tokensForgotten ? OK : '!'} Signed out "${accountId}" locally: ${local}, but revoking the grant at ${providerLabel} failed.`,
      );
      warnings.push(
        '! The grant may still be valid at the provider; revoke the app in the account’s security settings there if that matters.',
      );
      break;
    case 'not-supported':
      lines.push(
        `${OK} Signed out "${accountId}": ${local}; ${providerLabel} offers no revocation for this sign-in, so remove the app's access in the account's security settings there if that matters.`,
      );
      break;
    case 'nothing-to-revoke':
      lines.push(`${OK} "${accountId}" was not signed in; nothing to revoke (${local}).`);
      break;
    case 'not-applicable':
      lines.push(
        `${OK} Signed out "${accountId}": ${providerLabel} has no user grant to revoke; ${local} (configured passwords and app secrets stay in the secret store).`,
      );
      break;
  }
  return { lines, warnings };
}
