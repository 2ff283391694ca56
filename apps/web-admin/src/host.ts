import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createEncryptedFileTokenStore,
  createMailer,
  createRegistry,
  type Logger,
  type Mailer,
  type Registry,
  type TokenStore,
} from '@mailplug/core';
import { type AdminConfig, type AdminConfigStore, createAdminConfigStore } from './admin-config.js';
import { type AdminSecretStore, createAdminSecretStore } from './secret-store.js';

export const TOKEN_KEY_ENV = 'MAILPLUG_TOKEN_KEY';

/**
 * The composition root — the same shape as the console's: adapters come ONLY from the registry
 * (`discover` reads the `mailplug` manifests of this package's dependencies; no adapter package
 * is imported anywhere in `src`), plus the host's stores and one mailer.
 */
export interface WebAdminHost {
  readonly registry: Registry;
  readonly config: AdminConfigStore;
  readonly secrets: AdminSecretStore;
  readonly tokenStore: TokenStore;
  /** The mailer for the current footer; a footer change gets a new one on the next call. */
  mailer(): Promise<Mailer>;
  /** Call after the footer changed. */
  footerChanged(): void;
  dispose(): Promise<void>;
}

export interface WebAdminHostOptions {
  readonly dataDir: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Directory whose package.json lists the adapters (default: this app). */
  readonly packageDir?: string;
  readonly logger?: Logger;
}

/** This app's own directory (dist/ or src/ sits one level below it). */
export function appPackageDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

export async function createWebAdminHost(options: WebAdminHostOptions): Promise<WebAdminHost> {
  const env = options.env ?? process.env;
  const registry = createRegistry(options.logger ? { logger: options.logger } : {});
  registry.discover({ from: options.packageDir ?? appPackageDir() });
  const config = createAdminConfigStore(join(options.dataDir, 'admin.json'));
  const secrets = createAdminSecretStore(join(options.dataDir, 'secrets.json'), env);
  const tokensPath = join(options.dataDir, 'tokens.bin');
  let tokenStore: TokenStore;
  if (env[TOKEN_KEY_ENV]?.trim()) {
    tokenStore = createEncryptedFileTokenStore({ path: tokensPath, env });
  } else {
    const keyFile = join(options.dataDir, 'token.key');
    await ensureKeyFile(keyFile);
    tokenStore = createEncryptedFileTokenStore({ path: tokensPath, keyFile, env });
  }

  let current: { footer: string; mailer: Mailer } | undefined;
  const retired: Mailer[] = [];

  async function mailerFor(snapshot: AdminConfig): Promise<Mailer> {
    const footerKey = JSON.stringify(snapshot.footer ?? null);
    if (current?.footer === footerKey) return current.mailer;
    // The old mailer may still be streaming a "Test connection"; it is disposed at shutdown.
    if (current) retired.push(current.mailer);
    const mailer = createMailer({
      registry,
      secrets,
      tokenStore,
      // Read at send time, so an Allow/Deny change applies to the very next message.
      permissions: {
        canSendOnBehalfOfOrganization: async (userId) =>
          (await config.read()).users.find((u) => u.id === userId)?.sendOnBehalfOfOrganization === true,
      },
      clientName: 'mailplug-web-admin',
      ...(snapshot.footer ? { footer: snapshot.footer } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    current = { footer: footerKey, mailer };
    return mailer;
  }

  return {
    registry,
    config,
    secrets,
    tokenStore,
    async mailer() {
      return mailerFor(await config.read());
    },
    footerChanged() {
      if (current) retired.push(current.mailer);
      current = undefined;
    },
    async dispose() {
      const all = [...retired.splice(0), ...(current ? [current.mailer] : [])];
      current = undefined;
      for (const m of all) await m.dispose();
      await registry.dispose();
    },
  };
}

/** 32 random bytes, base64, mode 0600 — created once; `wx` lets two starts agree on one key. */
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
