import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createEncryptedFileTokenStore,
  createMailer,
  createRegistry,
  Emitter,
  type FallbackUsed,
  type Logger,
  type Mailer,
  type MailerPermissions,
  type Registry,
  type TokenStore,
} from '@mailplug/core';
import { createOutbox, createSqliteOutboxStore, type Outbox, type OutboxStore } from '@mailplug/outbox';
import {
  type AdminConfig,
  type AdminConfigStore,
  createAdminConfigStore,
  findRecord,
} from './admin-config.js';
import { type AdminSecretStore, createAdminSecretStore } from './secret-store.js';

export const TOKEN_KEY_ENV = 'MAILPLUG_TOKEN_KEY';

/**
 * The composition root — the same shape as the console's: adapters come ONLY from the registry
 * (`discover` reads the `mailplug` manifests of this package's dependencies; no adapter package
 * is imported anywhere in `src`), plus the host's stores, one mailer and the outbox every send
 * goes through.
 */
export interface WebAdminHost {
  readonly registry: Registry;
  readonly config: AdminConfigStore;
  readonly secrets: AdminSecretStore;
  readonly tokenStore: TokenStore;
  /**
   * The mailer. Core fixes a mailer's footer when it is created, so this is a stable front that
   * sends through a mailer for the current footer (a footer change makes a new one).
   */
  mailer(): Promise<Mailer>;
  /** Durable delivery: enqueue here; a worker in this process delivers (see `server.ts`). */
  readonly outbox: Outbox;
  /** The route (protocol id) that delivered a message sent by this process, by its Message-ID. */
  deliveredRoute(messageId: string): string | undefined;
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

  // Read at send time, so an Allow/Deny change applies to the very next message.
  const permissions: MailerPermissions = {
    canSendOnBehalfOfOrganization: async (userId) =>
      (await config.read()).users.find((u) => u.id === userId)?.sendOnBehalfOfOrganization === true,
  };
  let current: { footer: string; mailer: Mailer } | undefined;
  const retired: Mailer[] = [];
  const fallbackUsed = new Emitter<FallbackUsed>();

  async function mailerFor(snapshot: AdminConfig): Promise<Mailer> {
    const footerKey = JSON.stringify(snapshot.footer ?? null);
    if (current?.footer === footerKey) return current.mailer;
    // The old mailer may still be streaming a "Test connection"; it is disposed at shutdown.
    if (current) retired.push(current.mailer);
    const mailer = createMailer({
      registry,
      secrets,
      tokenStore,
      permissions,
      clientName: 'mailplug-web-admin',
      ...(snapshot.footer ? { footer: snapshot.footer } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    mailer.onDidUseFallback((event) => fallbackUsed.fire(event));
    current = { footer: footerKey, mailer };
    return mailer;
  }
  const currentMailer = async () => mailerFor(await config.read());

  // Which route delivered each message (the outbox keeps the server's reply, not the route).
  const routes = new Map<string, string>();
  const rememberRoute = (messageId: string, route: string) => {
    routes.delete(messageId);
    routes.set(messageId, route);
    if (routes.size > 1_000) routes.delete(routes.keys().next().value as string);
  };

  const mailer: Mailer = {
    async send(request) {
      const result = await (await currentMailer()).send(request);
      // The outbox assigns the Message-ID before the first attempt; key the route by it.
      const headers = request.message.headers ?? {};
      const messageId =
        request.message.messageId ??
        Object.entries(headers).find(([name]) => name.toLowerCase() === 'message-id')?.[1] ??
        result.messageId;
      rememberRoute(messageId, result.route ?? request.account.protocol);
      return result;
    },
    preflight: async (request) => (await currentMailer()).preflight(request),
    sessionFor: async (account, access) => (await currentMailer()).sessionFor(account, access),
    forgetAccount: async (account) => {
      // Every mailer of this process may hold a session or connection of the account.
      for (const m of retired) await m.forgetAccount(account).catch(() => undefined);
      await (await currentMailer()).forgetAccount(account);
    },
    probe: async (account, probeOptions) => (await currentMailer()).probe(account, probeOptions),
    onDidUseFallback: fallbackUsed.event,
    // Disposed with the host.
    async dispose() {},
  };

  let outboxStore: OutboxStore;
  let outbox: Outbox;
  try {
    outboxStore = createSqliteOutboxStore({ path: join(options.dataDir, 'outbox.db') });
    outbox = createOutbox({
      mailer,
      store: outboxStore,
      accounts: { get: async (id) => findRecord(await config.read(), id)?.account },
      ...(options.logger ? { logger: options.logger } : {}),
    });
  } catch (error) {
    await registry.dispose();
    throw error;
  }

  return {
    registry,
    config,
    secrets,
    tokenStore,
    outbox,
    async mailer() {
      return mailer;
    },
    deliveredRoute: (messageId) => routes.get(messageId),
    footerChanged() {
      if (current) retired.push(current.mailer);
      current = undefined;
    },
    async dispose() {
      await outbox.dispose();
      await outboxStore.close();
      const all = [...retired.splice(0), ...(current ? [current.mailer] : [])];
      current = undefined;
      for (const m of all) await m.dispose();
      fallbackUsed.dispose();
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
