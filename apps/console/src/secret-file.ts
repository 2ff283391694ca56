import {
  CoreErrorCode,
  createEnvSecretStore,
  mailplugError,
  readFileIfExists,
  registerSecret,
  type SecretStore,
  writeFileAtomic,
} from '@mailplug/core';
import { ConsoleErrorCode } from './console-errors.js';
import { withFileLock } from './file-lock.js';
import { assertPrivateFile } from './file-permissions.js';

export interface ConsoleSecretStore extends Required<SecretStore> {
  /** Where a value was found: the local secret file, the environment, or nowhere. */
  where(name: string): Promise<'file' | 'env' | undefined>;
  /** The environment variable that would supply `name`. */
  variableFor(name: string): string;
}

interface SecretFile {
  version: 1;
  secrets: Record<string, string>;
}

/**
 * Secrets for the console: a local JSON file (mode 0600, refused when others may read it; every
 * change under a cross-process lock, written atomically) for values an admin entered, then the
 * environment (`MAILPLUG_SECRET_<NAME>`). Configuration holds only names. Two names that map to
 * the same variable (`team-a`, `team_a`, `Team.A`) cannot both be stored.
 */
export function createConsoleSecretStore(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
  guard: () => Promise<void> = async () => {},
): ConsoleSecretStore {
  const fromEnv = createEnvSecretStore({ env });
  async function load(): Promise<SecretFile> {
    await guard();
    const text = await readFileIfExists(path);
    if (text === undefined) return { version: 1, secrets: {} };
    await assertPrivateFile(path);
    const secrets = parseSecrets(text, path);
    for (const value of Object.values(secrets)) registerSecret(value);
    return { version: 1, secrets };
  }
  const change = (edit: (file: SecretFile) => boolean) =>
    withFileLock(path, async () => {
      const file = await load();
      if (edit(file)) await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
    });
  return {
    variableFor: fromEnv.variableFor,
    async get(name) {
      const file = await load();
      const value = file.secrets[name];
      if (value !== undefined && value !== '') return value;
      return fromEnv.get(name);
    },
    async set(name, value) {
      registerSecret(value);
      await change((file) => {
        const variable = fromEnv.variableFor(name);
        const clash = Object.keys(file.secrets).find(
          (n) => n !== name && fromEnv.variableFor(n) === variable,
        );
        if (clash) throw nameCollision(name, clash, variable);
        file.secrets[name] = value;
        return true;
      });
    },
    async delete(name) {
      await change((file) => {
        if (!(name in file.secrets)) return false;
        delete file.secrets[name];
        return true;
      });
    },
    async where(name) {
      const file = await load();
      if (file.secrets[name]) return 'file';
      return (await fromEnv.get(name)) ? 'env' : undefined;
    },
  };
}

/** The file's secrets; a parse error never quotes the file (it holds passwords). */
function parseSecrets(text: string, path: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const secrets = (parsed as { secrets?: unknown } | undefined)?.secrets;
  if (
    typeof secrets !== 'object' ||
    secrets === null ||
    Array.isArray(secrets) ||
    Object.values(secrets).some((v) => typeof v !== 'string')
  ) {
    throw mailplugError(
      CoreErrorCode.ConfigInvalid,
      'admin',
      `The secret file ${path} is damaged (not { "version": 1, "secrets": { name: value } }).`,
      `Repair ${path} by hand, or move it aside and enter the secrets again ("accounts edit <id> --secret-stdin <key>").`,
      { details: { path } },
    );
  }
  return secrets as Record<string, string>;
}

export function nameCollision(name: string, existing: string, variable: string) {
  return mailplugError(
    ConsoleErrorCode.SecretNameCollision,
    'admin',
    `The secret name "${name}" and the existing "${existing}" both map to ${variable}.`,
    `Choose an account id that differs from the other one in more than case and punctuation (secrets are named <account>-<setting>).`,
    { details: { name, existing, variable } },
  );
}
