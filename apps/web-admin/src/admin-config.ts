import {
  type MailAccount,
  type MailFooter,
  mailplugError,
  readFileIfExists,
  writeFileAtomic,
} from '@mailplug/core';

/** A host user and the "Send email on behalf of organization" permission (default: Allow). */
export interface AdminUser {
  readonly id: string;
  readonly name: string;
  readonly sendOnBehalfOfOrganization: boolean;
}

/**
 * The host's mail server record: Mailplug's account (its `label` is the name admins give it, its
 * `key` is created with it) plus what only the host keeps — a description.
 */
export interface MailServerRecord {
  readonly account: MailAccount;
  readonly description?: string;
}

export interface AdminConfig {
  readonly version: 1;
  readonly accounts: readonly MailServerRecord[];
  readonly users: readonly AdminUser[];
  readonly footer?: MailFooter;
}

export const EMPTY_CONFIG: AdminConfig = { version: 1, accounts: [], users: [] };

export interface AdminConfigStore {
  read(): Promise<AdminConfig>;
  /** Applies `change` to the current configuration under a lock and writes it atomically. */
  update(change: (config: AdminConfig) => AdminConfig): Promise<AdminConfig>;
}

export function createAdminConfigStore(path: string): AdminConfigStore {
  let queue: Promise<unknown> = Promise.resolve();

  async function read(): Promise<AdminConfig> {
    const text = await readFileIfExists(path);
    if (text === undefined) return EMPTY_CONFIG;
    let value: Partial<AdminConfig>;
    try {
      value = JSON.parse(text) as Partial<AdminConfig>;
    } catch {
      throw mailplugError(
        'CONFIG_INVALID',
        'admin',
        `The admin configuration ${path} is not valid JSON.`,
        `Fix or remove ${path}; an export can be imported again on the Export / import screen.`,
      );
    }
    if (value.version !== 1 || !Array.isArray(value.accounts) || !Array.isArray(value.users)) {
      throw mailplugError(
        'CONFIG_INVALID',
        'admin',
        `The admin configuration ${path} has an unknown layout.`,
        `Expected { "version": 1, "accounts": [...], "users": [...] }; fix or remove ${path}.`,
      );
    }
    return value as AdminConfig;
  }

  return {
    read,
    update(change) {
      const next = queue.then(async () => {
        const updated = change(await read());
        await writeFileAtomic(path, `${JSON.stringify(updated, null, 2)}\n`);
        return updated;
      });
      queue = next.catch(() => undefined);
      return next;
    },
  };
}

export function findRecord(config: AdminConfig, id: string): MailServerRecord | undefined {
  return config.accounts.find((r) => r.account.id === id);
}
