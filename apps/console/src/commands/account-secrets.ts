import { isSecretRef, type MailAccount, mailplugError } from '@mailplug/core';
import type { ConsoleConfig } from '../config-store.js';
import { ConsoleErrorCode } from '../console-errors.js';
import { nameCollision } from '../secret-file.js';
import { secretNameFor } from './account-flags.js';

/**
 * Which secrets belong to whom. The console names an account's secrets `<account>-<setting>`;
 * names are compared as their `MAILPLUG_SECRET_<NAME>` variable, because `team-a-password`,
 * `team_a-password` and `Team.A-password` are one and the same variable there.
 */
type VariableFor = (name: string) => string;

/** An account id that would share secret variables with an existing account is refused. */
export function assertDistinctId(config: ConsoleConfig, id: string, variableFor: VariableFor): void {
  const clash = config.accounts.find((a) => a.id !== id && variableFor(a.id) === variableFor(id));
  if (clash) throw nameCollision(id, clash.id, `${variableFor(id)}_…`);
}

/** The other account whose secret `name` is: one it references, or one named after one of its settings. */
function ownerOf(
  config: ConsoleConfig,
  self: string,
  name: string,
  variableFor: VariableFor,
): string | undefined {
  const variable = variableFor(name);
  for (const other of config.accounts) {
    if (other.id === self) continue;
    for (const [key, value] of Object.entries(other.auth.settings)) {
      if (variableFor(secretNameFor(other.id, key)) === variable) return other.id;
      if (isSecretRef(value) && variableFor(value.secretRef) === variable) return other.id;
    }
  }
  return undefined;
}

/**
 * `--secret-ref` may name a secret of its own or a free-standing one (e.g. set only in the
 * environment) — not another account's, unless the host allows shared secrets.
 */
export function assertOwnSecretRefs(
  config: ConsoleConfig,
  accountId: string,
  refs: Readonly<Record<string, string>>,
  variableFor: VariableFor,
): void {
  if (config.allowSharedSecrets === true) return;
  for (const [key, name] of Object.entries(refs)) {
    const owner = ownerOf(config, accountId, name, variableFor);
    if (!owner) continue;
    throw mailplugError(
      ConsoleErrorCode.SecretNotShared,
      'admin',
      `The secret "${name}" belongs to the account "${owner}", so "${accountId}" may not use it for ${key}.`,
      `Give "${accountId}" its own secret (--secret-stdin ${key} or --secret-env ${key}=<VAR>), or set "allowSharedSecrets": true in config.json if this host shares secrets between accounts.`,
      { details: { accountId, setting: key, secretRef: name, owner } },
    );
  }
}

/** The secrets the console stored for `account` that no remaining account still references. */
export function secretsToDelete(account: MailAccount, remaining: readonly MailAccount[]): string[] {
  const stillUsed = new Set(
    remaining.flatMap((a) =>
      Object.values(a.auth.settings)
        .filter(isSecretRef)
        .map((r) => r.secretRef),
    ),
  );
  return Object.entries(account.auth.settings)
    .filter(([key, value]) => isSecretRef(value) && value.secretRef === secretNameFor(account.id, key))
    .map(([key]) => secretNameFor(account.id, key))
    .filter((name) => !stillUsed.has(name));
}
