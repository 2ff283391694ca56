import { existsSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { createEncryptedFileTokenStore, type Registry, type TokenStore } from '@mailplug/core';
import { createSqliteOutboxStore, type Outbox } from '@mailplug/outbox';
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
  /**
   * The outbox in `outbox.db` (created on first use, mode 0600). Its mailer reads who may send
   * from `config.json` at each delivery, so a long-running worker follows `users allow/deny`; the
   * footer is the one stored when the outbox was opened.
   */
  outbox(): Promise<Outbox>;
  /** Whether the outbox file exists (commands that only tidy it up do not create it). */
  hasOutbox(): boolean;
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
    async openOutboxStore() {
      await guard();
      // Queued messages are private: the file is created 0600 before SQLite opens it (its -wal
      // and -shm files take the same mode).
      await mkdir(options.configDir, { recursive: true, mode: 0o700 });
      await (await open(files.outbox, 'a', 0o600)).close();
      await assertPrivateFile(files.outbox);
      return createSqliteOutboxStore({ path: files.outbox });
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
    async outbox() {
      const current = await config.read();
      const mailer = await mailplug.mailer({
        footer: current.footer,
        canSendOnBehalfOfOrganization: async (userId) =>
          (await config.read()).users.some((u) => u.id === userId && u.sendOnBehalfOfOrganization),
      });
      return mailplug.outbox(mailer, async () => (await config.read()).accounts);
    },
    hasOutbox: () => existsSync(files.outbox),
    dispose: mailplug.dispose,
  };
}
