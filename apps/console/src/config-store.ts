import { type MailAccount, type MailFooter, mailplugError } from '@mailplug/core';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';

/** A host user and their "send on behalf of organization" permission (the seeds' default: allow). */
export interface ConsoleUser {
  readonly id: string;
  readonly sendOnBehalfOfOrganization: boolean;
}

/** Everything the console keeps in `config.json`. Secrets are never in here, only references. */
export interface ConsoleConfig {
  readonly version: 1;
  readonly accounts: readonly MailAccount[];
  readonly users: readonly ConsoleUser[];
  readonly footer?: MailFooter;
}

export const EMPTY_CONFIG: ConsoleConfig = { version: 1, accounts: [], users: [] };

export interface ConfigStore {
  readonly path: string;
  read(): Promise<ConsoleConfig>;
  /** Atomic (temp file + rename), mode 0600. */
  write(config: ConsoleConfig): Promise<void>;
}

/** The JSON configuration file of the console. */
export function createConfigStore(path: string): ConfigStore {
  return {
    path,
    async read() {
      const text = await readFileIfExists(path);
      if (text === undefined) return EMPTY_CONFIG;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw mailplugError(
          'CONFIG_INVALID',
          'admin',
          `The console configuration ${path} is not valid JSON.`,
          `Fix or remove ${path}; a backup can be restored with "accounts import".`,
        );
      }
      const config = value as Partial<ConsoleConfig>;
      if (config.version !== 1 || !Array.isArray(config.accounts) || !Array.isArray(config.users)) {
        throw mailplugError(
          'CONFIG_INVALID',
          'admin',
          `The console configuration ${path} has an unknown layout.`,
          `Expected { "version": 1, "accounts": [...], "users": [...] }; fix or remove ${path}.`,
        );
      }
      return config as ConsoleConfig;
    },
    async write(config) {
      await writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`);
    },
  };
}

/** Finds an account by id or fails with an admin-facing error naming the known ids. */
export function findAccount(config: ConsoleConfig, id: string): MailAccount {
  const account = config.accounts.find((a) => a.id === id);
  if (!account) {
    const known = config.accounts.map((a) => a.id);
    throw mailplugError(
      'ACCOUNT_NOT_FOUND',
      'admin',
      `There is no account "${id}".`,
      known.length
        ? `Use one of: ${known.join(', ')} (see "accounts list").`
        : 'Add one first with "mailplug-console accounts add".',
      { details: { accountId: id } },
    );
  }
  return account;
}
