import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { Registry } from '../registry/registry.js';
import type { MailplugError } from '../spec/v1/mailplug-error.js';
import { type AccountValidationIssue, isLoopbackHost, type MailAccount } from './account.js';
import { validateSettings, withDefaults } from './settings-validation.js';

/** The part of the registry account validation needs; it never activates an adapter. */
export type AccountRegistry = Pick<
  Registry,
  'describeAuthProvider' | 'describeProtocol' | 'peekAuthProvider' | 'list'
>;

export interface ValidateAccountOptions {
  readonly registry: AccountRegistry;
  /** Host-wide switch with the same meaning as `account.allowInsecureAuth`. */
  readonly allowInsecureAuth?: boolean | undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SECURITY = ['starttls', 'tls', 'none'] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

/**
 * Checks an account against its protocol and provider (using their manifests, so nothing is
 * imported) and returns every problem at once, each with a path and a fix. Empty means valid.
 *
 * @example
 * const issues = await validateAccount(account, { registry });
 * for (const i of issues) form.showError(i.path, `${i.message} ${i.fix}`);
 */
export async function validateAccount(
  account: MailAccount | unknown,
  options: ValidateAccountOptions,
): Promise<AccountValidationIssue[]> {
  const issues: AccountValidationIssue[] = [];
  const add = (path: string, message: string, fix: string, code?: string) =>
    issues.push({ path, message, fix, ...(code ? { code } : {}) });
  const { registry } = options;

  if (!isObj(account)) {
    add(
      '',
      'The account is not an object.',
      'Provide the account as a JSON object with server, auth and scope.',
    );
    return issues;
  }

  if (!isText(account.id)) add('id', 'The account has no id.', 'Give the account a unique, non-empty id.');
  else if (account.id.includes(':')) {
    // ':' separates the parts of token-store keys: "a" and "a:graph" would share keys, and
    // forgetting "a" would forget "a:graph".
    add(
      'id',
      `The account id "${account.id}" contains ":".`,
      'Use an id without ":" (letters, digits, "-", "_", "." and "@" are fine).',
    );
  }
  if (
    account.key !== undefined &&
    (typeof account.key !== 'string' || !/^[A-Za-z0-9_-]{16,}$/.test(account.key))
  ) {
    add(
      'key',
      'The account key must be at least 16 letters, digits, "-" or "_".',
      'Create the key with createAccountKey() when the account is created and never change it.',
    );
  }
  if (account.label !== undefined && typeof account.label !== 'string') {
    add('label', 'The label must be text.', 'Enter the label as text or remove it.');
  }

  // Protocol.
  const protocolId = account.protocol;
  const protocol = isText(protocolId) ? registry.describeProtocol(protocolId) : undefined;
  if (!isText(protocolId)) {
    add('protocol', 'No protocol is chosen.', `Choose a protocol: ${knownIds(registry, 'protocol')}.`);
  } else if (!protocol) {
    add(
      'protocol',
      `The protocol "${protocolId}" is not installed.`,
      `Choose one of: ${knownIds(registry, 'protocol')}, or install the package that provides "${protocolId}".`,
      CoreErrorCode.RegistryUnknownId,
    );
  }

  // Server.
  const server = account.server;
  if (!isObj(server)) {
    add('server', 'Server settings are missing.', 'Enter the server host, port and security.');
  } else {
    const host = server.host;
    if (!isText(host)) {
      add('server.host', 'The server host is missing.', 'Enter the server name, e.g. smtp.example.com.');
    } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host) || /[\s/]/.test(host.trim()) || host !== host.trim()) {
      add(
        'server.host',
        `"${host}" is not a host name.`,
        'Enter only the server name or IP address, without "smtp://", slashes, a port or spaces.',
      );
    }
    const port = server.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      const suggestion = protocol
        ? ` (usual for ${protocol.label}: ${formatPorts(protocol.defaultPorts)})`
        : '';
      add(
        'server.port',
        'The port must be a whole number from 1 to 65535.',
        `Enter the server's port${suggestion}.`,
      );
    }
    if (!SECURITY.includes(server.security as (typeof SECURITY)[number])) {
      add(
        'server.security',
        'Connection security is not one of starttls, tls or none.',
        'Choose "starttls" (upgrade after connecting), "tls" (encrypted from the start) or "none".',
      );
    }
    const timeout = server.timeoutSeconds;
    if (
      timeout !== undefined &&
      (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0 || timeout > 3600)
    ) {
      add(
        'server.timeoutSeconds',
        'The timeout must be between 1 and 3600 seconds.',
        'Enter a timeout in seconds (default 120).',
      );
    }
    if (server.caFile !== undefined && !isText(server.caFile)) {
      add(
        'server.caFile',
        'The CA file must be a file path.',
        'Enter the path of a PEM file or remove the setting.',
      );
    }
  }

  // Auth provider and its settings.
  const auth = account.auth;
  let credentialKind: 'password' | 'oauth2' | undefined;
  if (!isObj(auth)) {
    add(
      'auth',
      'Authentication settings are missing.',
      `Choose a sign-in method: ${knownIds(registry, 'authProvider')}.`,
    );
  } else if (!isText(auth.provider)) {
    add(
      'auth.provider',
      'No sign-in method is chosen.',
      `Choose one of: ${knownIds(registry, 'authProvider')}.`,
    );
  } else {
    const provider = registry.describeAuthProvider(auth.provider);
    if (!provider) {
      add(
        'auth.provider',
        `The sign-in method "${auth.provider}" is not installed.`,
        `Choose one of: ${knownIds(registry, 'authProvider')}, or install the package that provides "${auth.provider}".`,
        CoreErrorCode.RegistryUnknownId,
      );
    } else {
      credentialKind = provider.capabilities.credentialKind;
      if (isText(protocolId) && !provider.protocols.includes(protocolId)) {
        add(
          'auth.provider',
          `${provider.label} cannot sign in to ${protocol?.label ?? protocolId}.`,
          `Choose a sign-in method that supports ${protocolId} (this one supports ${provider.protocols.join(', ') || 'none'}).`,
          CoreErrorCode.ProtocolMismatch,
        );
      }
      if (auth.settings !== undefined && !isObj(auth.settings)) {
        add(
          'auth.settings',
          'Provider settings must be an object.',
          'Enter the provider settings as a JSON object.',
        );
      } else {
        const settings = withDefaults(provider.settingsSchema, auth.settings as Obj | undefined);
        issues.push(
          ...validateSettings(provider.settingsSchema, auth.settings as Obj | undefined, 'auth.settings.'),
        );
        // Cross-field checks live in code; run them only when that code is already loaded.
        const definition = registry.peekAuthProvider(auth.provider);
        for (const issue of definition?.validateSettings?.(settings) ?? []) {
          const path = issue.path.startsWith('auth.') ? issue.path : `auth.settings.${issue.path}`;
          if (!issues.some((i) => i.path === path && i.message === issue.message))
            issues.push({ ...issue, path });
        }
      }
    }
  }

  // Identity: needed to send, checked whenever given.
  const identity = account.identity;
  if (identity === undefined) {
    if (protocol?.direction === 'send') {
      add(
        'identity.fromAddress',
        'A sending account needs a From address.',
        'Enter the address mail is sent from, e.g. office@example.com.',
      );
    }
  } else if (!isObj(identity)) {
    add(
      'identity',
      'The identity must be an object.',
      'Enter { "fromAddress": "...", "displayName": "..." }.',
    );
  } else {
    if (!isText(identity.fromAddress) || !EMAIL.test(identity.fromAddress)) {
      add(
        'identity.fromAddress',
        'The From address is not an email address.',
        'Enter a full address such as office@example.com.',
      );
    }
    if (identity.displayName !== undefined && typeof identity.displayName !== 'string') {
      add(
        'identity.displayName',
        'The display name must be text.',
        'Enter the name recipients see, or remove it.',
      );
    }
  }

  // Scope.
  const scope = account.scope;
  if (!isObj(scope) || !['organization', 'system', 'user'].includes(scope.kind as string)) {
    add(
      'scope.kind',
      'The account scope is missing or unknown.',
      'Set scope to { "kind": "organization" }, { "kind": "system" } or { "kind": "user", "owner": "<user id>" }.',
    );
  } else if (scope.kind === 'user' && !isText(scope.owner)) {
    add(
      'scope.owner',
      'A personal account needs an owner.',
      'Set scope.owner to the id of the user the mailbox belongs to.',
    );
  }

  if (account.allowInsecureAuth !== undefined && typeof account.allowInsecureAuth !== 'boolean') {
    add('allowInsecureAuth', 'allowInsecureAuth must be true or false.', 'Use true or false, or remove it.');
  }

  // Credentials over plaintext.
  if (isObj(server) && server.security === 'none' && credentialKind) {
    const allowed = account.allowInsecureAuth === true || options.allowInsecureAuth === true;
    const host = typeof server.host === 'string' ? server.host : '';
    if (credentialKind === 'oauth2' && !(allowed && isLoopbackHost(host))) {
      add(
        'server.security',
        'OAuth tokens would be sent without encryption.',
        allowed
          ? 'Use "starttls" or "tls"; unencrypted OAuth is only allowed to a loopback host (127.0.0.1, ::1, localhost).'
          : 'Use "starttls" or "tls" (OAuth over "none" is refused; for a local test server on loopback set allowInsecureAuth).',
        CoreErrorCode.InsecureAuthRefused,
      );
    } else if (credentialKind === 'password' && !allowed) {
      add(
        'server.security',
        'The password would be sent without encryption.',
        'Use "starttls" or "tls", or set allowInsecureAuth to true if this server cannot encrypt (a trusted internal relay).',
        CoreErrorCode.InsecureAuthRefused,
      );
    }
  }
  // Fallback route: validated as the account it becomes, its issues under `fallback.`.
  const fallback = account.fallback;
  if (fallback !== undefined) {
    if (!isObj(fallback) || !isText(fallback.protocol)) {
      add(
        'fallback.protocol',
        'The fallback route names no protocol.',
        'Set fallback to { "protocol": "graph" | "gmail-api" | ..., "server": { ... } } or remove it.',
      );
    } else if (fallback.protocol === protocolId) {
      add(
        'fallback.protocol',
        'The fallback route uses the same protocol as the account.',
        'Choose another send protocol for the fallback (for example Microsoft Graph or the Gmail API).',
      );
    } else {
      const { fallback: _nested, ...rest } = account;
      const routeIssues = await validateAccount(
        { ...rest, protocol: fallback.protocol, server: fallback.server },
        options,
      );
      for (const issue of routeIssues) {
        const routeIssue =
          /^(protocol|server)/.test(issue.path) ||
          (issue.path === 'auth.provider' && issue.code === CoreErrorCode.ProtocolMismatch);
        if (!routeIssue) continue;
        issues.push({ ...issue, path: `fallback.${issue.path}` });
      }
      const route = registry.describeProtocol(fallback.protocol);
      if (route && route.direction !== 'send') {
        add(
          'fallback.protocol',
          `${route.label} cannot send mail.`,
          'Choose a send protocol for the fallback route.',
          CoreErrorCode.ProtocolMismatch,
        );
      }
    }
  }

  return issues;
}

function knownIds(registry: AccountRegistry, kind: 'protocol' | 'authProvider'): string {
  const ids = registry
    .list()
    .filter((c) => c.kind === kind)
    .map((c) => c.id);
  return ids.length ? ids.join(', ') : '(none installed)';
}

function formatPorts(ports: Readonly<Record<string, number>>): string {
  return Object.entries(ports)
    .map(([mode, port]) => `${port} for ${mode}`)
    .join(', ');
}

/** The error `assertValidAccount` throws: all issues in `details.issues`. */
export function accountInvalidError(
  issues: readonly AccountValidationIssue[],
  accountId?: unknown,
): MailplugError {
  const first = issues[0];
  return mailplugError(
    CoreErrorCode.ConfigInvalid,
    'admin',
    `The mail account${typeof accountId === 'string' && accountId ? ` "${accountId}"` : ''} has ${issues.length} configuration problem${issues.length === 1 ? '' : 's'}${first ? `, first: ${first.path || 'account'} — ${first.message}` : ''}.`,
    first
      ? `${first.fix}${issues.length > 1 ? ' Then fix the other issues listed in details.' : ''}`
      : 'Fix the account.',
    { details: { issues } },
  );
}

/** Throws CONFIG_INVALID with every issue in `details.issues`; otherwise returns the account, typed. */
export async function assertValidAccount(
  account: MailAccount | unknown,
  options: ValidateAccountOptions,
): Promise<MailAccount> {
  const issues = await validateAccount(account, options);
  if (issues.length > 0) throw accountInvalidError(issues, isObj(account) ? account.id : undefined);
  return account as MailAccount;
}

/**
 * Parses account JSON (text or an already-parsed value) and validates it.
 *
 * @example
 * const account = await parseMailAccount(await readFile('account.json', 'utf8'), { registry });
 */
export async function parseMailAccount(
  json: string | unknown,
  options: ValidateAccountOptions,
): Promise<MailAccount> {
  let value: unknown = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (err) {
      // The parser's message quotes the input, which may hold a pasted secret: keep the position only.
      const position = /position (\d+)/.exec(String((err as Error).message))?.[1];
      throw mailplugError(
        CoreErrorCode.ConfigInvalid,
        'admin',
        `The account configuration is not valid JSON${position ? ` (near character ${position})` : ''}.`,
        'Fix the JSON syntax (quotes, commas, brackets) and load it again.',
        { details: { issues: [] } },
      );
    }
  }
  return assertValidAccount(value, options);
}
