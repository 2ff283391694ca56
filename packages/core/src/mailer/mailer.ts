import type { MailAccount } from '../accounts/account.js';
import { accountNamespace, accountTokenStore } from '../accounts/account-token-store.js';
import { serverSettingsFor } from '../accounts/server-settings.js';
import { withDefaults } from '../accounts/settings-validation.js';
import { type AccountRegistry, assertValidAccount } from '../accounts/validate-account.js';
import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { Registry } from '../registry/registry.js';
import { assertExpectedMailbox } from '../session/expected-mailbox.js';
import type { AuthSession, InteractiveSignIn } from '../spec/v1/auth-provider.js';
import type { DiagnosticReport, DiagnosticStep, ProbeOptions, RouteReport } from '../spec/v1/diagnostics.js';
import { type Disposable, disposeAll, Emitter, type Event } from '../spec/v1/disposable.js';
import { isMailplugError, MailplugError, type MailplugErrorJSON } from '../spec/v1/mailplug-error.js';
import type { OutgoingMessage, SendResult } from '../spec/v1/message.js';
import type { SendConnection } from '../spec/v1/protocol.js';
import type { Logger, SecretStore, TokenStore } from '../spec/v1/stores.js';
import { createRedactingLogger } from '../util/logger.js';
import { appendFooter, checkFooter, type MailFooter } from './footer.js';
import { createClosedRoutes, fallbackAccount, isRouteClosed, routeKey } from './routes.js';
import { createSendDeadline, type SendDeadline } from './send-deadline.js';

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
  /**
   * Deadline of one `send` from validation to the server's reply, including any token refresh.
   * Default 120 000 ms. A request's own `timeoutMs` overrides it.
   */
  readonly sendTimeoutMs?: number;
}

/** Default deadline of one `mailer.send`. */
export const DEFAULT_SEND_TIMEOUT_MS = 120_000;

export interface SendRequest {
  readonly account: MailAccount;
  /** The host user on whose behalf the message goes out; may be omitted for `system` accounts. */
  readonly actingUser?: string;
  readonly message: OutgoingMessage;
  /** Abort the send (the host's request was cancelled, the worker is shutting down). */
  readonly signal?: AbortSignal;
  /** Deadline of this send in ms; default the mailer's `sendTimeoutMs`. */
  readonly timeoutMs?: number;
}

/** A send moved to the fallback route; `reason` is the primary route's classified error. */
export interface FallbackUsed {
  readonly accountId: string;
  /** Protocol id of the closed route. */
  readonly from: string;
  /** Protocol id of the route that now delivers. */
  readonly to: string;
  readonly reason: { readonly code: string; readonly message: string; readonly hint: string };
}

/** Who uses a personal account's session: its owner, or an admin operation named as such. */
export type AccountAccess = { readonly actingUser: string } | { readonly operation: 'admin' };

export interface Mailer extends Disposable {
  /**
   * Sends one message. A protocol failure is first offered to the provider's optional
   * `diagnose(error)`; when it explains it, that error is thrown with the original as `cause`.
   */
  send(request: SendRequest): Promise<SendResult>;
  /**
   * Everything `send` checks before it connects — the account is valid, the acting user may send
   * from it, the message gets a From address — without sending. A queue (the outbox) calls it at
   * enqueue so a message that can never go out is refused at once, not stored.
   */
  preflight(request: Pick<SendRequest, 'account' | 'actingUser'>): Promise<void>;
  /**
   * The account's bound provider session, for sign-in, "Check Authorization" and sign-out screens.
   * A personal (`user`) account's session hands out that user's credential, so it needs the acting
   * user (its owner) or an explicitly named admin operation; organization and system accounts are
   * configured by admins and need neither.
   */
  sessionFor(account: MailAccount, access?: AccountAccess): Promise<AuthSession>;
  /**
   * Forgets everything of the account: disposes its session and connection and deletes every
   * token-store entry in its namespace (tokens, a provider's cache, receive cursors). Call it when
   * an account is removed; signing out first revokes at the provider where possible.
   */
  forgetAccount(account: MailAccount): Promise<void>;
  /** Fired when a send moved to an account's fallback route because the first route is closed. */
  readonly onDidUseFallback: Event<FallbackUsed>;
  /**
   * The protocol's staged "Test connection" run, authorized by the account's provider. Failed
   * steps are offered to the provider's `diagnose(error)` (for `onStep` and the report alike).
   * Personal accounts need `access` as for `sessionFor`.
   */
  probe(
    account: MailAccount,
    options?: ProbeOptions & { readonly access?: AccountAccess },
  ): Promise<DiagnosticReport>;
  /** Closes every open connection and disposes every provider session. */
  dispose(): Promise<void>;
}

interface BoundSession {
  readonly fingerprint: string;
  readonly session: AuthSession;
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
  const { registry } = options;
  // Everything the mailer and the providers it binds log goes through redaction.
  const logger = options.logger ? createRedactingLogger(options.logger) : undefined;
  const sessions = new Map<string, BoundSession>();
  const connections = new Map<string, OpenConnection>();
  const closedRoutes = createClosedRoutes();
  const fallbackEmitter = new Emitter<FallbackUsed>();
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

  const authFingerprint = (account: MailAccount) =>
    JSON.stringify([
      accountNamespace(account),
      account.auth.provider,
      account.auth.settings,
      // The session's sign-in guard checks against the identity it was bound with.
      account.identity?.fromAddress,
      account.identity?.acceptAnySignInMailbox === true,
    ]);

  function checkAccess(account: MailAccount, access: AccountAccess | undefined): void {
    if (account.scope.kind !== 'user') return;
    if (access && 'operation' in access && access.operation === 'admin') return;
    const actingUser = access && 'actingUser' in access ? access.actingUser : undefined;
    if (actingUser === account.scope.owner) return;
    throw mailplugError(
      CoreErrorCode.PermissionDenied,
      'developer',
      actingUser
        ? `User "${actingUser}" may not use the personal account "${account.id}" of another user.`
        : `The personal account "${account.id}" was used without an acting user.`,
      "Pass { actingUser } (the account's owner) or, for an admin screen or background job, { operation: 'admin' }.",
      { details: { accountId: account.id, ...(actingUser ? { actingUser } : {}) } },
    );
  }

  async function bind(account: MailAccount): Promise<AuthSession> {
    const fingerprint = authFingerprint(account);
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
    const session = withExpectedMailbox(
      account,
      definition.createSession({
        accountId: account.id,
        // Schema defaults are applied once, here, so no provider has to repeat them.
        settings: withDefaults(definition.settingsSchema, account.auth.settings),
        secrets: options.secrets,
        // The account identity's own namespace: a later account reusing the id finds nothing.
        tokenStore: accountTokenStore(options.tokenStore, account),
        ...(logger ? { logger } : {}),
      }),
      () => accountTokenStore(options.tokenStore, account).deleteByPrefix(''),
    );
    sessions.set(account.id, { fingerprint, session });
    return session;
  }

  async function dropAccountConnections(accountId: string): Promise<void> {
    const keys = [...connections.keys()].filter((key) => key.startsWith(`${accountId}\u0000`));
    await Promise.all(keys.map(dropConnection));
  }

  async function dropConnection(key: string): Promise<void> {
    const open = connections.get(key);
    if (!open) return;
    connections.delete(key);
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
    const key = routeKey(account);
    const open = connections.get(key);
    if (open?.fingerprint === fingerprint) return open.connection;
    if (open) await dropConnection(key);
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
    connections.set(key, { fingerprint, connection });
    // A failed connect is not cached: the next send tries again.
    connection.catch(() => {
      if (connections.get(key)?.connection === connection) connections.delete(key);
    });
    return connection;
  }

  /**
   * The provider's explanation of a protocol failure (spec v1 `AuthSession.diagnose`), carrying
   * the original as its cause; the original itself when the provider has none.
   */
  function diagnosed(session: AuthSession | undefined, error: unknown, accountId: string): unknown {
    if (!session?.diagnose) return error;
    let explained: MailplugError | undefined;
    try {
      explained = session.diagnose(error);
    } catch (diagnoseError) {
      // A broken diagnosis must never hide the real failure.
      logger?.warn('mailplug: the auth provider failed to diagnose an error', {
        accountId,
        providerId: session.providerId,
        error: String(diagnoseError),
      });
      return error;
    }
    if (!isMailplugError(explained) || explained === error) return error;
    logger?.info('mailplug: the auth provider explained a failure', {
      accountId,
      code: explained.code,
      originalCode: isMailplugError(error) ? error.code : undefined,
    });
    if (explained.cause === error) return explained;
    return new MailplugError({
      code: explained.code,
      action: explained.action,
      message: explained.message,
      hint: explained.hint,
      cause: error,
      ...(explained.details ? { details: explained.details } : {}),
      ...(explained.retryAfterMs !== undefined ? { retryAfterMs: explained.retryAfterMs } : {}),
    });
  }

  /** The session bound to exactly this account's auth settings, if one is. */
  function boundSession(account: MailAccount): AuthSession | undefined {
    const bound = sessions.get(account.id);
    return bound?.fingerprint === authFingerprint(account) ? bound.session : undefined;
  }

  /** A failed probe step, explained by the provider when it can. */
  function diagnosedStep(session: AuthSession, step: DiagnosticStep, accountId: string): DiagnosticStep {
    if (step.status !== 'failed' || !step.error) return step;
    const original = errorFromJSON(step.error);
    const explained = diagnosed(session, original, accountId);
    if (explained === original || !isMailplugError(explained)) return step;
    return { ...step, detail: explained.message, error: explained.toJSON() };
  }

  async function sendNow(
    { account, actingUser, message }: SendRequest,
    deadline: SendDeadline,
  ): Promise<SendResult> {
    await validate(account);
    await checkPermission(account, actingUser);
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
    const fallback = fallbackAccount(account);
    if (!fallback) return deliver(account, prepared, deadline);
    const primaryKey = routeKey(account);
    if (!closedRoutes.isClosed(primaryKey)) {
      try {
        const result = await deliver(account, prepared, deadline);
        return { ...result, route: account.protocol };
      } catch (error) {
        // Only a route switched off for this mailbox moves the message; a transient failure or a
        // wrong credential is reported as it is, so nothing is sent twice and nobody is misled.
        if (!isRouteClosed(error)) throw error;
        closedRoutes.close(primaryKey);
        fallbackEmitter.fire({
          accountId: account.id,
          from: account.protocol,
          to: fallback.protocol,
          reason: { code: error.code, message: error.message, hint: error.hint },
        });
        logger?.warn('mailplug: primary route closed; sending through the fallback', {
          accountId: account.id,
          from: account.protocol,
          to: fallback.protocol,
          code: error.code,
        });
      }
    }
    const result = await deliver(fallback, prepared, deadline);
    return { ...result, route: fallback.protocol };
  }

  /** One message over one route (the account as that route sees it). */
  async function deliver(
    route: MailAccount,
    prepared: OutgoingMessage,
    deadline: SendDeadline,
  ): Promise<SendResult> {
    const { signal } = deadline;
    let connection: SendConnection;
    try {
      connection = await connectionFor(route);
    } catch (err) {
      throw diagnosed(boundSession(route), err, route.id);
    }
    signal.throwIfAborted();
    try {
      deadline.markHandedOver();
      const result = await connection.send(prepared, { signal });
      logger?.info('mailplug: message sent', {
        accountId: route.id,
        route: route.protocol,
        messageId: result.messageId,
        accepted: result.accepted.length,
        rejected: result.rejected.length,
      });
      return result;
    } catch (err) {
      // The connection's state is unknown after a failure; the next send opens a fresh one.
      await dropConnection(routeKey(route));
      throw diagnosed(boundSession(route), err, route.id);
    }
  }

  /** One route's staged "Test connection", failed steps explained by the provider. */
  async function probeRoute(route: MailAccount, probeOptions: ProbeOptions): Promise<DiagnosticReport> {
    const protocol = await registry.getProtocol(route.protocol);
    const session = await bind(route);
    // Explain each failed step once, so onStep and the report show the same error.
    const explained = new Map<DiagnosticStep, DiagnosticStep>();
    const explain = (step: DiagnosticStep) => {
      let result = explained.get(step);
      if (!result) {
        result = diagnosedStep(session, step, route.id);
        explained.set(step, result);
      }
      return result;
    };
    const onStep = probeOptions.onStep;
    let report: DiagnosticReport;
    try {
      report = await protocol.probe(serverSettingsFor(route), session, {
        ...probeOptions,
        ...(onStep ? { onStep: (step: DiagnosticStep) => onStep(explain(step)) } : {}),
      });
    } catch (err) {
      throw diagnosed(session, err, route.id);
    }
    return { ...report, steps: report.steps.map(explain) };
  }

  function routeReport(route: MailAccount, report: DiagnosticReport): RouteReport {
    const protocol = registry.describeProtocol(route.protocol);
    const closed = report.steps.some(
      (step) => step.status === 'failed' && step.error?.details?.routeClosed === true,
    );
    return {
      protocol: route.protocol,
      label: protocol?.label ?? route.protocol,
      ok: report.ok,
      closed,
      steps: report.steps,
    };
  }

  return {
    async send(request) {
      ensureOpen();
      const timeoutMs = request.timeoutMs ?? options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
      const deadline = createSendDeadline(request.account.id, timeoutMs, request.signal);
      try {
        return await deadline.race(sendNow(request, deadline));
      } catch (error) {
        // An aborted send leaves the connection in an unknown state: never reuse it.
        if (deadline.signal.aborted) await dropAccountConnections(request.account.id);
        throw error;
      } finally {
        deadline.clear();
      }
    },
    async preflight({ account, actingUser }) {
      ensureOpen();
      await validate(account);
      await checkPermission(account, actingUser);
    },
    async sessionFor(account, access) {
      ensureOpen();
      await validate(account);
      checkAccess(account, access);
      return bind(account);
    },
    async forgetAccount(account) {
      ensureOpen();
      await dropAccountConnections(account.id);
      closedRoutes.clear(account.id);
      const bound = sessions.get(account.id);
      if (bound) {
        sessions.delete(account.id);
        await bound.session.dispose();
      }
      await accountTokenStore(options.tokenStore, account).deleteByPrefix('');
    },
    async probe(account, probeOptions) {
      ensureOpen();
      await validate(account);
      checkAccess(account, probeOptions?.access);
      const { access: _access, ...protocolOptions } = probeOptions ?? {};
      const primary = await probeRoute(account, protocolOptions);
      const fallback = fallbackAccount(account);
      if (!fallback) return primary;
      const second = await probeRoute(fallback, protocolOptions);
      const routes = [routeReport(account, primary), routeReport(fallback, second)];
      const [first, other] = routes as [RouteReport, RouteReport];
      const summary = first.ok
        ? `${first.label} works; ${other.label} is ready as the fallback${other.ok ? '' : ' but failed its check'}.`
        : first.closed && other.ok
          ? `${first.label} is switched off for this mailbox; sending through ${other.label}. ${closedHint(primary)}`
          : other.ok
            ? `${first.label} failed its check; ${other.label} works but is used only when ${first.label} is switched off.`
            : `Neither ${first.label} nor ${other.label} works for this mailbox.`;
      return { ok: first.ok || (first.closed && other.ok), steps: primary.steps, routes, summary };
    },
    onDidUseFallback: fallbackEmitter.event,
    async dispose() {
      if (disposed) return;
      disposed = true;
      fallbackEmitter.dispose();
      const ids = [...connections.keys()];
      await Promise.all(ids.map(dropConnection));
      const bound = [...sessions.values()].map((b) => b.session);
      sessions.clear();
      await disposeAll(bound);
    },
  };
}

/**
 * The account's session with `interactive.complete` defaulting `expectedMailbox` to the account's
 * From address. A provider that does not check it itself is caught here: the tokens it saved for
 * the wrong mailbox are forgotten before the error reaches the host.
 */
function withExpectedMailbox(
  account: MailAccount,
  session: AuthSession,
  forget: () => Promise<unknown>,
): AuthSession {
  const interactive = session.interactive;
  const from = account.identity?.fromAddress;
  if (!interactive || !from || account.identity?.acceptAnySignInMailbox) return session;
  const guarded: InteractiveSignIn = {
    begin: (request) => interactive.begin(request),
    async complete(params, completeOptions = {}) {
      const options = { ...completeOptions, expectedMailbox: completeOptions.expectedMailbox ?? from };
      const identity = await interactive.complete(params, options);
      try {
        assertExpectedMailbox(identity, options);
      } catch (error) {
        await forget();
        throw error;
      }
      return identity;
    },
  };
  // Inherit everything else; sessions may be frozen, so the override is an own property of a new object.
  return Object.create(session, { interactive: { value: guarded, enumerable: true } }) as AuthSession;
}

/** The fix for a closed route, from the failed step that said so (e.g. how to turn SMTP AUTH on). */
function closedHint(report: DiagnosticReport): string {
  const step = report.steps.find((s) => s.status === 'failed' && s.error?.details?.routeClosed === true);
  return step?.error?.hint ? `To use it again: ${step.error.hint}` : '';
}

/** Probe steps carry errors as JSON; providers diagnose errors. The JSON's cause is a summary string. */
function errorFromJSON(json: MailplugErrorJSON): MailplugError {
  return new MailplugError({
    code: json.code,
    action: json.action,
    message: json.message,
    hint: json.hint,
    ...(json.details ? { details: json.details } : {}),
    ...(json.retryAfterMs !== undefined ? { retryAfterMs: json.retryAfterMs } : {}),
    ...(json.cause !== undefined ? { cause: json.cause } : {}),
  });
}
