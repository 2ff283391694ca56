import { createEncryptedFileTokenStore, type Registry, type TokenStore } from '@mailplug/core';
import { type ConfigStore, type ConsoleConfig, createConfigStore } from './config-store.js';
import { assertPrivateDirectory, assertPrivateFile } from './file-permissions.js';
import { ensureKeyFile } from './key-file.js';
import { createMailplugHost, type HostMailer } from './mailplug-host.js';
import { consoleFiles, consolePackageDir } from './paths.js';
import { type ConsoleSecretStore, createConsoleSecretStore } from './secret-file.js';

export const TOKEN_KEY_ENV = 'MAILPLUG_TOKEN_KEY';

/**
 * The console's side of the composition: its files in the configuration directory (config,
 * secrets, token key) around the Mailplug composition root (`mailplug-host.ts`).
 */
export interface ConsoleHost {
  readonly configDir: string;
  readonly files: ReturnType<typeof consoleFiles>;
  readonly registry: Registry;
  readonly config: ConfigStore;
  readonly secrets: ConsoleSecretStore;
  /** The encrypted token store; creates the key file on first use when no key is in the environment. */
  tokenStore(): Promise<TokenStore>;
  /** A mailer with the footer and user permissions of `config` (default: as stored now). */
  mailer(config?: ConsoleConfig): Promise<HostMailer>;
  dispose(): Promise<void>;
}

export interface ConsoleHostOptions {
  readonly configDir: string;
  readonly env?: NodeJS.ProcessEnv;
}

export function createConsoleHost(options: ConsoleHostOptions): ConsoleHost {
  const env = options.env ?? process.env;
  const files = consoleFiles(options.configDir);
  // Others must not be able to swap files underneath us: checked once, before the first access.
  let checked: Promise<void> | undefined;
  const guard = () => (checked ??= assertPrivateDirectory(options.configDir));
  const config = createConfigStore(files.config, guard);
  const secrets = createConsoleSecretStore(files.secrets, env, guard);
  const mailplug = createMailplugHost({
    adaptersFrom: consolePackageDir(),
    secrets,
    clientName: 'mailplug-console',
    async openTokenStore() {
      await guard();
      if (env[TOKEN_KEY_ENV]?.trim()) return createEncryptedFileTokenStore({ path: files.tokens, env });
      await ensureKeyFile(files.tokenKey);
      await assertPrivateFile(files.tokenKey);
      return createEncryptedFileTokenStore({ path: files.tokens, keyFile: files.tokenKey, env });
    },
  });
  return {
    configDir: options.configDir,
    files,
    registry: mailplug.registry,
    config,
    secrets,
    tokenStore: mailplug.tokenStore,
    async mailer(snapshot) {
      const current = snapshot ?? (await config.read());
      const allowed = new Set(current.users.filter((u) => u.sendOnBehalfOfOrganization).map((u) => u.id));
      return mailplug.mailer({
        footer: current.footer,
        canSendOnBehalfOfOrganization: (userId) => allowed.has(userId),
      });
    },
    dispose: mailplug.dispose,
  };
}
