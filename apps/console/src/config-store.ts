import {
  type AccountValidationIssue,
  CoreErrorCode,
  type MailAccount,
  type MailFooter,
  mailplugError,
  readFileIfExists,
  writeFileAtomic,
} from '@mailplug/core';
import { ConsoleErrorCode } from './console-errors.js';
import { withFileLock } from './file-lock.js';

/** A host user and their "send on behalf of organization" permission (allowed unless denied). */
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
  /**
   * Host policy: may `--secret-ref` point an account at a secret another account owns? Off by
   * default, so one account can never borrow another's password or client secret.
   */
  readonly allowSharedSecrets?: boolean;
}

export const EMPTY_CONFIG: ConsoleConfig = { version: 1, accounts: [], users: [] };

export interface ConfigStore {
  readonly path: string;
  read(): Promise<ConsoleConfig>;
  /**
   * Read-modify-write under the file's cross-process lock; the result replaces the file
   * atomically (temp file + fsync + rename, mode 0600). Resolves with what was written.
   */
  update(change: (current: ConsoleConfig) => ConsoleConfig | Promise<ConsoleConfig>): Promise<ConsoleConfig>;
}

/** The JSON configuration file of the console; `guard` runs before every access (directory checks). */
export function createConfigStore(path: string, guard: () => Promise<void> = async () => {}): ConfigStore {
  async function read(): Promise<ConsoleConfig> {
    await guard();
    const text = await readFileIfExists(path);
    if (text === undefined) return EMPTY_CONFIG;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // The parser's message quotes the file; say only where it is.
      throw mailplugError(
        CoreErrorCode.ConfigInvalid,
        'admin',
        `The console configuration ${path} is not valid JSON.`,
        `Fix or remove ${path}; a backup can be restored with "accounts import".`,
      );
    }
    const issues = configIssues(value);
    if (issues.length > 0) {
      throw mailplugError(
        CoreErrorCode.ConfigInvalid,
        'admin',
        `The console configuration ${path} has ${issues.length} problem${issues.length === 1 ? '' : 's'}.`,
        `Fix every entry listed below in ${path} (or remove the file and import a backup).`,
        { details: { path, issues } },
      );
    }
    return value as ConsoleConfig;
  }
  return {
    path,
    read,
    update: (change) =>
      withFileLock(path, async () => {
        const next = await change(await read());
        await writeFileAtomic(path, `${JSON.stringify(next, null, 2)}\n`);
        return next;
      }),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The structure every command relies on, checked once when the file is read, so a hand-edited
 * entry fails with its path instead of a TypeError deep in a command. Whether the settings suit
 * the provider is `validateAccount`'s job when the account is used.
 */
function configIssues(value: unknown): AccountValidationIssue[] {
  const issues: AccountValidationIssue[] = [];
  const issue = (path: string, message: string, fix: string) => issues.push({ path, message, fix });
  if (!isObject(value) || value.version !== 1) {
    issue(
      'version',
      'The file is not a version 1 console configuration.',
      'Expected { "version": 1, "accounts": [...], "users": [...] }.',
    );
    return issues;
  }
  if (!Array.isArray(value.accounts))
    issue('accounts', 'Missing the "accounts" list.', 'Add "accounts": [].');
  if (!Array.isArray(value.users)) issue('users', 'Missing the "users" list.', 'Add "users": [].');
  for (const [i, a] of (Array.isArray(value.accounts) ? value.accounts : []).entries()) {
    const at = `accounts[${i}]`;
    if (!isObject(a)) {
      issue(at, 'An account must be an object.', 'Remove the entry or restore it from a backup.');
      continue;
    }
    if (typeof a.id !== 'string' || a.id === '')
      issue(`${at}.id`, 'The account has no id.', 'Give it a unique string id.');
    if (typeof a.protocol !== 'string')
      issue(`${at}.protocol`, 'The protocol is missing.', 'Set "protocol", e.g. "smtp".');
    const server = a.server;
    if (
      !isObject(server) ||
      typeof server.host !== 'string' ||
      typeof server.port !== 'number' ||
      typeof server.security !== 'string'
    ) {
      issue(
        `${at}.server`,
        'The server needs host (string), port (number) and security.',
        'Set { "host", "port", "security" }.',
      );
    }
    const auth = a.auth;
    if (!isObject(auth) || typeof auth.provider !== 'string' || !isObject(auth.settings)) {
      issue(
        `${at}.auth`,
        'The sign-in needs a provider id and a settings object.',
        'Set { "provider": "<id>", "settings": {} }.',
      );
    }
    if (a.identity !== undefined && (!isObject(a.identity) || typeof a.identity.fromAddress !== 'string')) {
      issue(
        `${at}.identity`,
        'The identity needs a fromAddress.',
        'Set { "fromAddress": "…" } or remove "identity".',
      );
    }
    const scope = a.scope;
    if (!isObject(scope) || !['organization', 'system', 'user'].includes(String(scope.kind))) {
      issue(
        `${at}.scope`,
        'The scope must be organization, system or user.',
        'Set { "kind": "organization" } (or system, or user with an owner).',
      );
    } else if (scope.kind === 'user' && typeof scope.owner !== 'string') {
      issue(
        `${at}.scope.owner`,
        'A user account needs its owner.',
        'Set "owner" to the host user the account belongs to.',
      );
    }
  }
  for (const [i, u] of (Array.isArray(value.users) ? value.users : []).entries()) {
    if (!isObject(u) || typeof u.id !== 'string' || typeof u.sendOnBehalfOfOrganization !== 'boolean') {
      issue(
        `users[${i}]`,
        'A user needs an id and sendOnBehalfOfOrganization (true/false).',
        'Set { "id": "…", "sendOnBehalfOfOrganization": true }.',
      );
    }
  }
  if (value.footer !== undefined && !isObject(value.footer)) {
    issue(
      'footer',
      'The footer must be an object with text and/or html.',
      'Use "footer set" or remove "footer".',
    );
  }
  if (value.allowSharedSecrets !== undefined && typeof value.allowSharedSecrets !== 'boolean') {
    issue(
      'allowSharedSecrets',
      'allowSharedSecrets must be true or false.',
      'Set it to true or false, or remove it.',
    );
  }
  return issues;
}

/** Finds an account by id or fails with an admin-facing error naming the known ids. */
export function findAccount(config: ConsoleConfig, id: string): MailAccount {
  const account = config.accounts.find((a) => a.id === id);
  if (!account) {
    const known = config.accounts.map((a) => a.id);
    throw mailplugError(
      ConsoleErrorCode.AccountNotFound,
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
