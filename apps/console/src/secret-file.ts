import { createEnvSecretStore, registerSecret, type SecretStore } from '@mailplug/core';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';

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
 * Secrets for the console: a local JSON file (mode 0600, atomic writes) for values an admin
 * entered, then the environment (`MAILPLUG_SECRET_<NAME>`). Configuration holds only names.
 */
export function createConsoleSecretStore(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): ConsoleSecretStore {
  const fromEnv = createEnvSecretStore({ env });
  async function load(): Promise<SecretFile> {
    const text = await readFileIfExists(path);
    if (text === undefined) return { version: 1, secrets: {} };
    const parsed = JSON.parse(text) as SecretFile;
    for (const value of Object.values(parsed.secrets ?? {})) registerSecret(value);
    return { version: 1, secrets: parsed.secrets ?? {} };
  }
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
      const file = await load();
      file.secrets[name] = value;
      await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
    },
    async delete(name) {
      const file = await load();
      if (!(name in file.secrets)) return;
      delete file.secrets[name];
      await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
    },
    async where(name) {
      const file = await load();
      if (file.secrets[name]) return 'file';
      return (await fromEnv.get(name)) ? 'env' : undefined;
    },
  };
}
