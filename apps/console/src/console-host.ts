import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  createEncryptedFileTokenStore,
  createMailer,
  createRegistry,
  type Mailer,
  type Registry,
  type TokenStore,
} from '@mailplug/core';
import { type ConfigStore, type ConsoleConfig, createConfigStore } from './config-store.js';
import { consoleFiles, consolePackageDir } from './paths.js';
import { type ConsoleSecretStore, createConsoleSecretStore } from './secret-file.js';

export const TOKEN_KEY_ENV = 'MAILPLUG_TOKEN_KEY';

/** Everything a command needs: the registry, the stores and (on demand) the mailer. */
export interface ConsoleHost {
  readonly configDir: string;
  readonly files: ReturnType<typeof consoleFiles>;
  readonly registry: Registry;
  readonly config: ConfigStore;
  readonly secrets: ConsoleSecretStore;
  /** The encrypted token store; creates the key file on first use when no key is in the environment. */
  tokenStore(): Promise<TokenStore>;
  /** A mailer with the current footer and user permissions. */
  mailer(config?: ConsoleConfig): Promise<Mailer>;
  dispose(): Promise<void>;
}

export interface ConsoleHostOptions {
  readonly configDir: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Directory whose package.json lists the adapters (default: this package). */
  readonly packageDir?: string;
}

/** Composes the console: adapters come only from the registry, discovered from package.json. */
export function createConsoleHost(options: ConsoleHostOptions): ConsoleHost {
  const env = options.env ?? process.env;
  const files = consoleFiles(options.configDir);
  const registry = createRegistry();
  registry.discover({ from: options.packageDir ?? consolePackageDir() });
  const config = createConfigStore(files.config);
  const secrets = createConsoleSecretStore(files.secrets, env);
  let tokens: Promise<TokenStore> | undefined;
  const mailers: Mailer[] = [];

  async function openTokenStore(): Promise<TokenStore> {
    if (env[TOKEN_KEY_ENV]?.trim()) {
      return createEncryptedFileTokenStore({ path: files.tokens, env });
    }
    await ensureKeyFile(files.tokenKey);
    return createEncryptedFileTokenStore({ path: files.tokens, keyFile: files.tokenKey, env });
  }

  return {
    configDir: options.configDir,
    files,
    registry,
    config,
    secrets,
    tokenStore() {
      tokens ??= openTokenStore();
      return tokens;
    },
    async mailer(snapshot) {
      const current = snapshot ?? (await config.read());
      const users = new Map(current.users.map((u) => [u.id, u.sendOnBehalfOfOrganization]));
      const mailer = createMailer({
        registry,
        secrets,
        tokenStore: await this.tokenStore(),
        permissions: { canSendOnBehalfOfOrganization: (userId) => users.get(userId) === true },
        clientName: 'mailplug-console',
        ...(current.footer ? { footer: current.footer } : {}),
      });
      mailers.push(mailer);
      return mailer;
    },
    async dispose() {
      for (const m of mailers.splice(0)) await m.dispose();
      await registry.dispose();
    },
  };
}

/**
 * Creates the token key file (32 random bytes, base64, mode 0600) unless it exists. `wx` makes
 * two consoles starting at once agree on one key instead of overwriting each other's.
 */
async function ensureKeyFile(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(`${randomBytes(32).toString('base64')}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
