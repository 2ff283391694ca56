import type { MailAccount } from '../accounts/account.js';
import { serverSettingsFor } from '../accounts/server-settings.js';
import { type AccountRegistry, assertValidAccount } from '../accounts/validate-account.js';
import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { Registry } from '../registry/registry.js';
import type { AuthProvider } from '../spec/v1/auth-provider.js';
import type { DiagnosticReport, ProbeOptions } from '../spec/v1/diagnostics.js';
import type { OutgoingMessage, SendResult } from '../spec/v1/message.js';
import type { SendConnection } from '../spec/v1/protocol.js';
import type { Logger, SecretStore, TokenStore } from '../spec/v1/stores.js';
import { type Disposable, disposeAll } from '../util/disposable.js';
import { appendFooter, checkFooter, type MailFooter } from './footer.js';

/** The host's answer to "may this user send from the organization's shared accounts?". */
export interface MailerPermissions {
  canSendOnBehalfOfOrganization(userId: string): boolean | Promise<boolean>;
}

export interface MailerOptions {
  readonly registry: AccountRegistry & Pick<Registry, 'getAuthProvider' | 'getProtocol'>;
  readonly secrets: SecretStore;
  readonly tokenStore: TokenStore;
  readonly permissions: MailerPermissions;
  /** Appended to every message; plain text ≤ 500 characters, HTML ≤ 2,000. */
  readonly footer?: MailFooter;
  readonly logger?: Logger;
  /** Name sent in EHLO / ID. */
  readonly clientName?: string;
  /** Host-wide equivalent of `account.allowInsecureAuth`. */
  readonly allowInsecureAuth?: boolean;
}

export interface SendRequest {
  readonly account: MailAccount;
  /** The host user on whose behalf the message goes out; may be omitted for `system` accounts. */
  readonly actingUser?: string;
  readonly message: OutgoingMessage;
}

export interface Mailer extends Disposable {
  send(request: SendRequest): Promise<SendResult>;
  /** The account's bound provider session, for sign-in, "Check Authorisation" and sign-out screens. */
  authProviderFor(account: MailAccount): Promise<AuthProvider>;
  /** The protocol's staged "Test connection" run, authorised by the account's provider. */
  probe(account: MailAccount, options?: ProbeOptions): Promise<DiagnosticReport>;
  /** Closes every open connection and disposes every provider session. */
  dispose(): Promise<void>;
}

interface BoundSession {
  readonly fingerprint: string;
  readonly session: AuthProvider;
}

interface OpenConnection {
  readonly fingerprint: string;
  readonly connection: Promise<SendConnection>;
}

/**
 * The facade a host's send path calls: validates the account, enforces who may send from it,
 * binds the provider, reuses one connection per account and appends the footer.
 *
 * @example
 * const mailer = createMailer({ registry, secrets, tokenStore, permissions: { canSendOnBehalfOfOrganization: (u) => roles.has(u, 'mail') } });
 * await mailer.send({ account, actingUser: user.id, message: { to: 'client@example.com', subject: 'Invoice', text: 'Attached.' } });
 */
export function createMailer(options: MailerOptions): Mailer {
  checkFooter(options.footer);
  const { registry, logger } = options;
  const sessions = new Map<string, BoundSession>();
  const connections = new Map<string, OpenConnection>();
  let disposed = false;

  const validate = (account: MailAccount) =>
    assertValidAccount(account, {
      registry,
      ...(options.allowInsecureAuth !== undefined ? { allowInsecureAuth: options.allowInsecureAuth } : {}),
    });

  function ensureOpen(): void {
    if (disposed) {
      throw mailplugError(
        CoreErrorCode.MailerDisposed,
        'developer',
        'The mailer has been disposed.',
        'Create a new mailer instead of using one after dispose().',
      );
    }
  }

  async function bind(account: MailAccount): Promise<AuthProvider> {
    const fingerprint = JSON.stringify([account.auth.provider, account.auth.settings]);
    const existing = sessions.get(account.id);
    if (existing?.fingerprint === fingerprint) return existing.session;
    const definition = await registry.getAuthProvider(account.auth.provider);
    // Re-check after the await: another caller may have bound the same account meanwhile.
    const raced = sessions.get(account.id);
    if (raced?.fingerprint === fingerprint) return raced.session;
    if (raced) {
      // Its connection is keyed by the same auth settings, so connectionFor replaces it as well.
      sessions.delete(account.id);
      await raced.session.dispose();
    }
    const session = definition.create({
      accountId: account.id,
      settings: account.auth.settings,
      secrets: options.secrets,
      tokenStore: options.tokenStore,
      ...(logger ? { logger } : {}),
    });
    sessions.set(account.id, { fingerprint, session });
    return session;
  }

  async function dropConnection(accountId: string): Promise<void> {
    const open = connections.get(accountId);
    if (!open) return;
    connections.delete(accountId);
    try {
      await (await open.connection).close();
    } catch {
      // A connection that failed to open or already broke has nothing left to close.
    }
  }

  async function checkPermission(account: MailAccount, actingUser: string | undefined): Promise<void> {
    const scope = account.scope;
    if (scope.kind === 'system') return;
    if (!actingUser) {
      throw mailplugError(
        CoreErrorCode.PermissionDenied,
        'developer',
        `Sending from account "${account.id}" needs the acting user.`,
        'Pass actingUser (the signed-in host user) to mailer.send for organization and personal accounts.',
        { details: { accountId: account.id, scope: scope.kind } },
      );
    }
    if (scope.kind === 'user' && scope.owner !== actingUser) {
      throw mailplugError(
        CoreErrorCode.PermissionDenied,
        'developer',
        `User "${actingUser}" may not send from the personal account "${account.id}" of another user.`,
        "Send from an account that belongs to the acting user; a user's mailbox and tokens are never shared.",
        { details: { accountId: account.id, actingUser } },
      );
    }
    if (
      scope.kind === 'organization' &&
      !(await options.permissions.canSendOnBehalfOfOrganization(actingUser))
    ) {
      throw mailplugError(
        CoreErrorCode.PermissionDenied,
        'admin',
        `User "${actingUser}" may not send from the organization account "${account.id}".`,
        'Ask an administrator to grant this user the "send on behalf of organization" permission, or send from their own account.',
        { details: { accountId: account.id, actingUser } },
      );
    }
  }

  async function connectionFor(account: MailAccount): Promise<SendConnection> {
    const fingerprint = JSON.stringify([
      account.protocol,
      account.server,
      account.auth,
      account.allowInsecureAuth,
    ]);
    const open = connections.get(account.id);
    if (open?.fingerprint === fingerprint) return open.connection;
    if (open) await dropConnection(account.id);
    const connection = (async () => {
      const protocol = await registry.getProtocol(account.protocol);
      if (protocol.direction !== 'send') {
        throw mailplugError(
          CoreErrorCode.ProtocolMismatch,
          'developer',
          `The account "${account.id}" uses ${protocol.label}, which can only receive mail.`,
          'Send from an account whose protocol sends mail (for example SMTP).',
          { details: { accountId: account.id, protocol: protocol.id } },
        );
      }
      const session = await bind(account);
      return protocol.connect(serverSettingsFor(account), session, {
        ...(options.clientName ? { clientName: options.clientName } : {}),
      });
    })();
    connections.set(account.id, { fingerprint, connection });
    // A failed connect is not cached: the next send tries again.
    connection.catch(() => {
      if (connections.get(account.id)?.connection === connection) connections.delete(account.id);
    });
    return connection;
  }

  return {
    async send({ account, actingUser, message }) {
      ensureOpen();
      await validate(account);
      await checkPermission(account, actingUser);
      const connection = await connectionFor(account);
      const identity = account.identity;
      const prepared = appendFooter(
        message.from === undefined && identity
          ? {
              ...message,
              from: identity.displayName
                ? { address: identity.fromAddress, name: identity.displayName }
                : identity.fromAddress,
            }
          : message,
        options.footer,
      );
      try {
        const result = await connection.send(prepared);
        logger?.info('mailplug: message sent', {
          accountId: account.id,
          messageId: result.messageId,
          accepted: result.accepted.length,
          rejected: result.rejected.length,
        });
        return result;
      } catch (err) {
        // The connection's state is unknown after a failure; the next send opens a fresh one.
        await dropConnection(account.id);
        throw err;
      }
    },
    async authProviderFor(account) {
      ensureOpen();
      await validate(account);
      return bind(account);
    },
    async probe(account, probeOptions) {
      ensureOpen();
      await validate(account);
      const protocol = await registry.getProtocol(account.protocol);
      const session = await bind(account);
      return protocol.probe(serverSettingsFor(account), session, probeOptions);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      const ids = [...connections.keys()];
      await Promise.all(ids.map(dropConnection));
      const bound = [...sessions.values()].map((b) => b.session);
      sessions.clear();
      await disposeAll(bound);
    },
  };
}
