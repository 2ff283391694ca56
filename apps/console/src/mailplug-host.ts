/**
 * The Mailplug composition root of the sample host — registry, stores, mailer, outbox. Copy this
 * file into a host application unchanged; the rest of the console is command-line plumbing
 * (arguments, the config file, the secret file, the key file).
 */

import type { AccountAccess, MailAccount, Mailer, MailerPermissions, TokenStore } from '@mailplug/core';
import * as mailplug from '@mailplug/core';
import { createOutbox, type Outbox, type OutboxStore } from '@mailplug/outbox';

export interface MailplugHostOptions {
  /** The directory whose package.json lists the adapter packages (read without importing them). */
  readonly adaptersFrom: string;
  /** Passwords and client secrets by name; accounts hold only `{ secretRef }`. */
  readonly secrets: mailplug.SecretStore;
  /** Opens the token store on first use (OAuth tokens, encrypted at rest). */
  readonly openTokenStore: () => Promise<TokenStore>;
  /** Opens the outbox store on first use (SQLite beside the token store). */
  readonly openOutboxStore: () => Promise<OutboxStore>;
  /** Sent in SMTP EHLO / IMAP ID. */
  readonly clientName: string;
}

/** The host's settings right now: who may send from organization accounts, and the footer. */
export type MailerPolicy = MailerPermissions & { readonly footer?: mailplug.MailFooter | undefined };

export interface HostMailer extends Mailer {
  /** Receive (POP3/IMAP, deprecated) through the mailer: it validates the account and binds the session. */
  receive(account: MailAccount, access?: AccountAccess): Promise<mailplug.ReceiveConnection>;
  /** An admin removes an account: sign out at the provider (best effort), then forget all its tokens. */
  forget(account: MailAccount): Promise<{ signOut?: mailplug.SignOutResult; signOutError?: unknown }>;
}

export interface MailplugHost {
  readonly registry: mailplug.Registry;
  tokenStore(): Promise<TokenStore>;
  mailer(policy: MailerPolicy): Promise<HostMailer>;
  /** The send path: a durable outbox delivering through `mailer`; its workers keep idle OAuth accounts alive. */
  outbox(mailer: Mailer, accounts: () => Promise<readonly MailAccount[]>): Promise<Outbox>;
  /** Disposes every outbox (workers), every mailer (connections, sessions), the outbox store, then the registry. */
  dispose(): Promise<void>;
}

export function createMailplugHost(options: MailplugHostOptions): MailplugHost {
  const { secrets, clientName } = options;
  const registry = mailplug.createRegistry();
  registry.discover({ from: options.adaptersFrom });
  let tokens: Promise<TokenStore> | undefined;
  const openTokens = () => (tokens ??= options.openTokenStore());
  let outboxStore: Promise<OutboxStore> | undefined;
  const openOutboxStore = () => (outboxStore ??= options.openOutboxStore());
  const mailers: Mailer[] = [];
  const outboxes: Outbox[] = [];
  async function mailer({ footer, canSendOnBehalfOfOrganization }: MailerPolicy): Promise<HostMailer> {
    const tokenStore = await openTokens();
    const permissions = { canSendOnBehalfOfOrganization };
    const core = mailplug.createMailer({
      registry,
      secrets,
      tokenStore,
      permissions,
      clientName,
      ...(footer !== undefined ? { footer } : {}),
    });
    mailers.push(core);
    async function receive(account: MailAccount, access?: AccountAccess) {
      const session = await core.sessionFor(account, access);
      const protocol = await registry.getProtocol(account.protocol);
      if (protocol.direction === 'receive') {
        return protocol.connect(mailplug.serverSettingsFor(account), session, { clientName });
      }
      const message = `The account "${account.id}" uses ${protocol.label}, which sends mail.`;
      const hint = 'Receive with an account whose protocol is pop3 or imap.';
      throw mailplug.mailplugError(mailplug.CoreErrorCode.ProtocolMismatch, 'admin', message, hint);
    }
    async function forget(account: MailAccount) {
      let outcome: Awaited<ReturnType<HostMailer['forget']>>;
      try {
        outcome = { signOut: await (await core.sessionFor(account, { operation: 'admin' })).signOut() };
      } catch (signOutError) {
        outcome = { signOutError }; // e.g. its adapter was uninstalled: the tokens go all the same
      }
      await core.forgetAccount(account); // every token-store entry of the account's identity
      return outcome;
    }
    return { ...core, receive, forget };
  }
  async function outbox(sender: Mailer, accounts: () => Promise<readonly MailAccount[]>): Promise<Outbox> {
    const store = await openOutboxStore();
    const tokenStore = await openTokens();
    // Accounts are looked up when a message is delivered, so an edited account applies to queued mail.
    const directory = { get: async (id: string) => (await accounts()).find((a) => a.id === id) };
    const created = createOutbox({
      mailer: sender,
      store,
      accounts: directory,
      keepAlive: { tokenStore, accounts },
    });
    outboxes.push(created);
    return created;
  }
  async function dispose(): Promise<void> {
    for (const o of outboxes.splice(0)) await o.dispose();
    for (const m of mailers.splice(0)) await m.dispose();
    const store = outboxStore;
    outboxStore = undefined;
    await (await store?.catch(() => undefined))?.close();
    await registry.dispose();
  }
  return { registry, tokenStore: openTokens, mailer, outbox, dispose };
}
