import { existsSync } from 'node:fs';
import { isMailplugError, type MailAccount, type SignOutResult } from '@mailplug/core';
import type { ConsoleConfig } from './config-store.js';
import type { ConsoleHost } from './console-host.js';
import { ADMIN } from './operations.js';
import { OK } from './output.js';
import { oneLine } from './terminal-text.js';

export interface SignOutWarning {
  readonly message: string;
  readonly code?: string;
  readonly hint?: string;
}

/** What a sign-out did: the provider's own `SignOutResult.revocation`, plus what the console saw. */
export interface SignOutOutcome {
  readonly accountId: string;
  readonly provider: string;
  readonly providerLabel: string;
  /** As the provider reported it; absent when its sign-out could not run at all. */
  readonly revocation?: SignOutResult['revocation'];
  /** The account's tokens are gone from the token store. */
  readonly tokensForgotten: boolean;
  readonly warnings: readonly SignOutWarning[];
}

const warningFrom = (prefix: string, error: unknown): SignOutWarning => ({
  message: `${prefix}${error instanceof Error ? error.message : String(error)}`,
  ...(isMailplugError(error) ? { code: error.code, hint: error.hint } : {}),
});

function describe(host: ConsoleHost, account: MailAccount) {
  const label = host.registry.describeAuthProvider(account.auth.provider)?.label;
  return {
    accountId: account.id,
    provider: account.auth.provider,
    providerLabel: label ?? account.auth.provider,
  };
}

/**
 * `sign-out`: the bound session (core mailer `sessionFor`) revokes where the provider can and
 * forgets the stored tokens — in every case, by the spec. A failed revocation is a warning; an
 * error the provider throws propagates.
 */
export async function signOutAccount(
  host: ConsoleHost,
  config: ConsoleConfig,
  account: MailAccount,
): Promise<SignOutOutcome> {
  const session = await (await host.mailer(config)).sessionFor(account, ADMIN);
  const result = await session.signOut();
  return {
    ...describe(host, account),
    revocation: result.revocation,
    tokensForgotten: true,
    warnings: result.error ? [warningFrom('', result.error)] : [],
  };
}

/**
 * `accounts remove`: sign out first, but never let that stop the removal — the composition
 * root's `forget` signs out where it can and then forgets every token of the account (core
 * `forgetAccount`), also when the provider's sign-out throws. With no token file at all nothing
 * was ever stored, so nothing is opened or created.
 */
export async function signOutBestEffort(
  host: ConsoleHost,
  config: ConsoleConfig,
  account: MailAccount,
): Promise<SignOutOutcome> {
  const base = describe(host, account);
  if (!existsSync(host.files.tokens)) {
    return { ...base, revocation: 'nothingToRevoke', tokensForgotten: true, warnings: [] };
  }
  try {
    const { signOut, signOutError } = await (await host.mailer(config)).forget(account);
    const warnings = signOut?.error ? [warningFrom('', signOut.error)] : [];
    if (signOutError !== undefined) {
      warnings.push(warningFrom(`Signing out through ${base.providerLabel} failed: `, signOutError));
    }
    return {
      ...base,
      ...(signOut ? { revocation: signOut.revocation } : {}),
      tokensForgotten: true,
      warnings,
    };
  } catch (storeError) {
    const warning = warningFrom('The stored tokens could not be forgotten: ', storeError);
    return { ...base, tokensForgotten: false, warnings: [warning] };
  }
}

/** Whether the sign-in method holds a user's grant (OAuth, not app-only) that a provider could revoke. */
function hasUserGrant(host: ConsoleHost, provider: string): boolean {
  const caps = host.registry.describeAuthProvider(provider)?.capabilities;
  return caps ? caps.credentialKind === 'oauth2' && !caps.appOnly : true;
}

/** Human lines for a sign-out: what happened at the provider and locally; warnings marked `!`. */
export function renderSignOut(
  host: ConsoleHost,
  outcome: SignOutOutcome,
): { lines: string[]; warnings: string[] } {
  const { accountId, providerLabel } = outcome;
  const warnings = outcome.warnings.map(
    (w) =>
      `! ${oneLine(w.message)}${w.code ? ` (${oneLine(w.code)})` : ''}${w.hint ? `\n  hint: ${oneLine(w.hint)}` : ''}`,
  );
  const local = outcome.tokensForgotten ? 'stored tokens forgotten' : 'stored tokens could NOT be forgotten';
  const mark = outcome.tokensForgotten ? OK : '!';
  const lines: string[] = [];
  switch (outcome.revocation) {
    case 'revoked':
      lines.push(`${mark} Signed out "${accountId}": grant revoked at ${providerLabel}; ${local}.`);
      break;
    case 'failed':
      lines.push(
        `${mark} Signed out "${accountId}" locally (${local}), but revoking the grant at ${providerLabel} failed.`,
      );
      warnings.push(
        '! The grant may still be valid at the provider; revoke the app in the account’s security settings there if that matters.',
      );
      break;
    case 'unsupported':
      lines.push(
        hasUserGrant(host, outcome.provider)
          ? `${mark} Signed out "${accountId}": ${local}; ${providerLabel} offers no revocation for this sign-in, so remove the app's access in the account's security settings there if that matters.`
          : `${mark} Signed out "${accountId}": ${providerLabel} has no user grant to revoke; ${local} (configured passwords and app secrets stay in the secret store).`,
      );
      break;
    case 'nothingToRevoke':
      lines.push(`${mark} "${accountId}" was not signed in; nothing to revoke (${local}).`);
      break;
    case undefined:
      lines.push(`${mark} Signed out "${accountId}" without ${providerLabel} (see the warning); ${local}.`);
      break;
  }
  return { lines, warnings };
}
