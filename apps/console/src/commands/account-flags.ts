import { createAccountKey, type MailAccount, type Registry, type SettingsField } from '@mailplug/core';
import { listOption, type OptionSpecs, type OptionValues, stringOption } from '../command.js';
import { UsageError } from '../exit-codes.js';

/** Flags shared by `accounts add` and `accounts edit`. */
export const ACCOUNT_OPTIONS: OptionSpecs = {
  label: { type: 'string' },
  protocol: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  security: { type: 'string' },
  timeout: { type: 'string' },
  'ca-file': { type: 'string' },
  provider: { type: 'string' },
  setting: { type: 'string', multiple: true },
  'secret-stdin': { type: 'string' },
  'password-stdin': { type: 'boolean' },
  'secret-env': { type: 'string', multiple: true },
  'secret-ref': { type: 'string', multiple: true },
  from: { type: 'string' },
  'display-name': { type: 'string' },
  scope: { type: 'string' },
  owner: { type: 'string' },
  'allow-insecure-auth': { type: 'boolean' },
  fallback: { type: 'string' },
  'fallback-host': { type: 'string' },
  'fallback-port': { type: 'string' },
  'fallback-security': { type: 'string' },
  'fallback-ca-file': { type: 'string' },
  unset: { type: 'string', multiple: true },
};

export const ACCOUNT_OPTION_HELP: readonly (readonly [string, string])[] = [
  ['--protocol smtp|imap|pop3', 'protocol (default smtp); see "providers"'],
  ['--host <name> --port <n>', 'server; the port defaults to the protocol default for the security mode'],
  ['--security starttls|tls|none', 'connection security (default starttls)'],
  ['--timeout <seconds>', 'connection timeout (default 120)'],
  ['--ca-file <pem>', 'extra CA certificate(s) for a private server'],
  ['--provider <id>', 'sign-in method, e.g. basic, gmail-oauth, m365-delegated, m365-app-only'],
  ['--setting key=value', 'a provider setting (repeatable); types come from the provider manifest'],
  ['--password-stdin', 'read the password from stdin (same as --secret-stdin password)'],
  ['--secret-stdin <key>', 'read the secret setting <key> from stdin and keep it in the local secret file'],
  [
    '--secret-env <key>=<VAR>',
    'copy the secret setting <key> from environment variable VAR into the secret file',
  ],
  ['--secret-ref <key>=<name>', 'point <key> at an existing secret (secret file or MAILPLUG_SECRET_<NAME>)'],
  ['--from <address> --display-name <name>', 'sender identity (required for sending accounts)'],
  ['--scope organization|system|user --owner <user>', 'who the account belongs to (default organization)'],
  [
    '--allow-insecure-auth',
    'permit credentials over security "none" (trusted relays, loopback only for OAuth)',
  ],
  [
    '--fallback graph|gmail-api|none',
    'a second send route, used only when the first is switched off for the mailbox; none removes it',
  ],
  [
    '--fallback-host <name> --fallback-port <n>',
    'the fallback server (port defaults to the protocol default for its security mode)',
  ],
  ['--fallback-security tls|starttls|none', 'the fallback connection security (default tls)'],
  ['--fallback-ca-file <pem>', 'extra CA certificate(s) for the fallback server'],
  ['--unset <key>', '(edit) remove a provider setting'],
];

/** The secret's name in the store for an account's setting; it is also its env variable suffix. */
export const secretNameFor = (accountId: string, key: string) => `${accountId}-${key}`;

export interface BuiltAccount {
  readonly account: MailAccount;
  /** Secret values to store once the account validates: name -> value. */
  readonly secretValues: Record<string, string>;
  /** Existing secrets the account was pointed at with `--secret-ref`: setting key -> name. */
  readonly secretRefs: Record<string, string>;
}

/** Whether the flags read a secret from stdin (read it before taking any lock). */
export const readsStdin = (values: OptionValues) =>
  values['password-stdin'] === true || typeof values['secret-stdin'] === 'string';

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

/**
 * Applies flags to an account (a fresh one for `add`, a copy of the stored one for `edit`).
 * Secret settings are only ever written as `{ secretRef }`; their values go to `secretValues`.
 */
export function applyAccountFlags(
  base: MailAccount | undefined,
  id: string,
  values: OptionValues,
  registry: Registry,
  stdinText: string | undefined,
  env: NodeJS.ProcessEnv,
): BuiltAccount {
  const account = structuredClone(
    base ?? {
      id,
      // Tokens live under this key: an account added later with the same id never inherits them.
      key: createAccountKey(),
      protocol: 'smtp',
      server: { host: '', port: 0, security: 'starttls' },
      auth: { provider: '', settings: {} },
      scope: { kind: 'organization' },
    },
  ) as Mutable<MailAccount> & { auth: { settings: Record<string, unknown> } };
  const str = (name: string) => stringOption(values, name);

  const label = str('label');
  if (label !== undefined) account.label = label;
  if (str('protocol')) account.protocol = str('protocol') as string;
  if (str('host') !== undefined) account.server.host = str('host') as string;
  if (str('security')) account.server.security = str('security') as MailAccount['server']['security'];
  if (str('port') !== undefined) account.server.port = toNumber(str('port') as string, '--port');
  else if (!base) {
    // Port and security are independent; only a new account gets the protocol's usual port.
    const fallback = registry.describeProtocol(account.protocol)?.defaultPorts[account.server.security];
    if (fallback !== undefined) account.server.port = fallback;
  }
  if (str('timeout') !== undefined)
    account.server.timeoutSeconds = toNumber(str('timeout') as string, '--timeout');
  const caFile = str('ca-file');
  if (caFile !== undefined) account.server.caFile = caFile;
  if (str('provider')) {
    if (base && base.auth.provider !== str('provider')) account.auth.settings = {};
    account.auth.provider = str('provider') as string;
  }
  if (str('from') !== undefined || str('display-name') !== undefined) {
    const fromAddress = str('from') ?? account.identity?.fromAddress ?? '';
    const displayName = str('display-name') ?? account.identity?.displayName;
    account.identity = { fromAddress, ...(displayName ? { displayName } : {}) };
  }
  if (str('scope')) {
    const kind = str('scope');
    if (kind === 'user') account.scope = { kind: 'user', owner: str('owner') ?? '' };
    else account.scope = { kind } as MailAccount['scope'];
  } else if (str('owner') && account.scope.kind === 'user') {
    account.scope = { kind: 'user', owner: str('owner') as string };
  }
  if (values['allow-insecure-auth'] === true) account.allowInsecureAuth = true;
  applyFallbackFlags(account, values, registry);

  const fields = new Map<string, SettingsField>(
    (registry.describeAuthProvider(account.auth.provider)?.settingsSchema.fields ?? []).map((f) => [
      f.key,
      f,
    ]),
  );
  for (const pair of listOption(values, 'setting')) {
    const [key, value] = splitPair(pair, '--setting');
    const field = fields.get(key);
    if (field?.type === 'secret') {
      throw new UsageError(
        `"${key}" is a secret; secret values are never given on the command line. Use --secret-stdin ${key} or --secret-env ${key}=<VAR>.`,
      );
    }
    account.auth.settings[key] = coerce(value, field);
  }
  for (const key of listOption(values, 'unset')) delete account.auth.settings[key];

  const secretValues: Record<string, string> = {};
  const stdinKey = values['password-stdin'] === true ? 'password' : str('secret-stdin');
  if (values['password-stdin'] === true && str('secret-stdin')) {
    throw new UsageError('Use either --password-stdin or --secret-stdin, not both (stdin holds one secret).');
  }
  if (stdinKey) {
    const value = stdinText ?? '';
    if (!value) throw new UsageError(`No secret arrived on stdin for "${stdinKey}".`);
    secretValues[secretNameFor(id, stdinKey)] = value;
    account.auth.settings[stdinKey] = { secretRef: secretNameFor(id, stdinKey) };
  }
  for (const pair of listOption(values, 'secret-env')) {
    const [key, variable] = splitPair(pair, '--secret-env');
    const value = env[variable];
    if (!value)
      throw new UsageError(`The environment variable ${variable} (for "${key}") is empty or not set.`);
    secretValues[secretNameFor(id, key)] = value;
    account.auth.settings[key] = { secretRef: secretNameFor(id, key) };
  }
  const secretRefs: Record<string, string> = {};
  for (const pair of listOption(values, 'secret-ref')) {
    const [key, name] = splitPair(pair, '--secret-ref');
    account.auth.settings[key] = { secretRef: name };
    secretRefs[key] = name;
  }
  return { account: account as MailAccount, secretValues, secretRefs };
}

/** `--fallback*` flags: set, change or (with `--fallback none`) remove the account's second send route. */
function applyFallbackFlags(account: Mutable<MailAccount>, values: OptionValues, registry: Registry): void {
  const str = (name: string) => stringOption(values, name);
  const protocol = str('fallback');
  if (protocol === 'none') {
    delete account.fallback;
    return;
  }
  const touched = ['fallback-host', 'fallback-port', 'fallback-security', 'fallback-ca-file'].some(
    (flag) => str(flag) !== undefined,
  );
  if (!protocol && !touched) return;
  const current = account.fallback;
  if (!protocol && !current)
    throw new UsageError('Name the fallback route with --fallback <protocol> first.');
  const security = (str('fallback-security') ??
    current?.server.security ??
    'tls') as MailAccount['server']['security'];
  const server: Mutable<MailAccount['server']> = {
    ...(current?.server ?? { host: '', port: 0 }),
    security,
  };
  if (str('fallback-host') !== undefined) server.host = str('fallback-host') as string;
  const caFile = str('fallback-ca-file');
  if (caFile !== undefined) server.caFile = caFile;
  const fallbackProtocol = protocol ?? (current?.protocol as string);
  if (str('fallback-port') !== undefined)
    server.port = toNumber(str('fallback-port') as string, '--fallback-port');
  else if (!server.port || str('fallback-security') !== undefined) {
    const port = registry.describeProtocol(fallbackProtocol)?.defaultPorts[security];
    if (port !== undefined) server.port = port;
  }
  account.fallback = { protocol: fallbackProtocol, server };
}

function splitPair(pair: string, flag: string): [string, string] {
  const at = pair.indexOf('=');
  if (at <= 0)
    throw new UsageError(
      `${flag} expects key=value, got "${pair.length > 40 ? `${pair.slice(0, 40)}…` : pair}".`,
    );
  return [pair.slice(0, at), pair.slice(at + 1)];
}

function toNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new UsageError(`${flag} expects a number, got "${text}".`);
  return n;
}

/** Turns flag text into the type the provider's manifest declares for the field. */
function coerce(value: string, field: SettingsField | undefined): unknown {
  switch (field?.type) {
    case 'number':
      return Number.isFinite(Number(value)) ? Number(value) : value;
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    case 'string[]':
      return value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
    default:
      return value;
  }
}
