import type { MailAccount } from '../accounts/account.js';
import { accountKeyPrefix } from '../session/forget-account.js';
import type { AuthorizationStatus, AuthSession, SessionChange } from '../spec/v1/auth-provider.js';
import { type Disposable, Emitter, type Event } from '../spec/v1/disposable.js';
import { isMailplugError } from '../spec/v1/mailplug-error.js';
import type { Logger, TokenStore } from '../spec/v1/stores.js';
import { days, REFRESH_TOKEN_INACTIVITY_WINDOWS_MS } from './inactivity-windows.js';

export interface KeepAliveOptions {
  /** The accounts to look after; called on every run, so added and removed accounts are picked up. */
  accounts(): readonly MailAccount[] | Promise<readonly MailAccount[]>;
  /** Usually `(account) => mailer.sessionFor(account, { operation: 'admin' })`. */
  sessionFor(account: MailAccount): Promise<AuthSession>;
  /** Where the time of each account's last keep-alive refresh is kept (under `<accountId>:`). */
  tokenStore: TokenStore;
  /** Extra or overriding inactivity windows per provider id (ms). */
  inactivityWindows?: Readonly<Record<string, number>>;
  /**
   * Refresh once this share of the window has passed since the last refresh. Default 1/3, so an
   * account survives two missed runs (Microsoft: every 30 days; Google Testing mode: every 2–3 days).
   */
  refreshAfterFraction?: number;
  /** Announce `expiringSoon` when an authorization ends within this window. Default 14 days. */
  expiringSoonWindowMs?: number;
  now?(): number;
  logger?: Logger;
}

export type KeepAliveOutcome =
  /** The refresh token was used (and any rotated token persisted by the session). */
  | 'keptAlive'
  /** Used recently enough; nothing to do. */
  | 'notDue'
  /** No refresh token to keep alive (password, app-only, service account). */
  | 'notApplicable'
  /** The refresh failed; `error` says who acts. */
  | 'failed';

export interface KeepAliveAccountReport {
  readonly accountId: string;
  readonly providerId: string;
  readonly outcome: KeepAliveOutcome;
  readonly error?: { readonly code: string; readonly action: string; readonly hint: string };
}

export interface KeepAliveReport {
  readonly at: number;
  readonly accounts: readonly KeepAliveAccountReport[];
}

export interface KeepAlive extends Disposable {
  /** One pass over every account; never throws for one account's failure. */
  runOnce(): Promise<KeepAliveReport>;
  /** Runs `runOnce` every `intervalMs` (default 6 hours) until disposed. */
  start(intervalMs?: number): void;
  /** `expiringSoon` for authorizations whose end is known (Testing-mode apps, secrets, certificates). */
  readonly onDidChangeSession: Event<SessionChange>;
}

const LAST_REFRESH_KEY = 'keepalive';

/**
 * Keeps idle OAuth accounts alive: a refresh token unused for its platform's inactivity window
 * (Microsoft 90 days, Google six months) is dead when the next reminder goes out. The scheduler
 * refreshes each such account before that, lets the session persist a rotated token, and reports
 * which accounts it kept alive. The outbox worker runs it; a host without the outbox calls
 * `start()` itself.
 *
 * @example
 * const keepAlive = createKeepAlive({
 *   accounts: () => config.accounts,
 *   // Background work for every account, personal ones included: an admin operation.
 *   sessionFor: (account) => mailer.sessionFor(account, { operation: 'admin' }),
 *   tokenStore,
 * });
 * keepAlive.onDidChangeSession((e) => e.type === 'expiringSoon' && notifyAdmins(e));
 * keepAlive.start();
 */
export function createKeepAlive(options: KeepAliveOptions): KeepAlive {
  const now = options.now ?? Date.now;
  const windows = { ...REFRESH_TOKEN_INACTIVITY_WINDOWS_MS, ...options.inactivityWindows };
  const fraction = options.refreshAfterFraction ?? 1 / 3;
  const expiringSoonWindowMs = options.expiringSoonWindowMs ?? days(14);
  const emitter = new Emitter<SessionChange>();
  const announced = new Set<string>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let running: Promise<KeepAliveReport> | undefined;

  async function keepOne(account: MailAccount): Promise<KeepAliveAccountReport> {
    const providerId = account.auth.provider;
    const base = { accountId: account.id, providerId };
    const window = windows[providerId];
    const key = `${accountKeyPrefix(account.id)}${LAST_REFRESH_KEY}`;
    try {
      const session = await options.sessionFor(account);
      const status = await session.checkAuthorization();
      // Every account's known end is announced, a refresh token's or an app's secret or certificate.
      announceExpiry(account.id, status);
      // Nothing to keep alive without a refresh token (password, app-only, service account).
      if (window === undefined || status.state === 'signInRequired')
        return { ...base, outcome: 'notApplicable' };
      const last = await options.tokenStore.get(key);
      if (typeof last === 'number' && now() - last < window * fraction) return { ...base, outcome: 'notDue' };
      await session.getCredential({ protocol: account.protocol, forceRefresh: true });
      await options.tokenStore.set(key, now());
      options.logger?.info('mailplug: kept an idle account alive', base);
      return { ...base, outcome: 'keptAlive' };
    } catch (error) {
      const summary = isMailplugError(error)
        ? { code: error.code, action: error.action, hint: error.hint }
        : { code: 'UNKNOWN', action: 'developer', hint: 'See the host log for the error.' };
      options.logger?.warn('mailplug: keep-alive refresh failed', { ...base, code: summary.code });
      return { ...base, outcome: 'failed', error: summary };
    }
  }

  function announceExpiry(accountId: string, status: AuthorizationStatus): void {
    const expiresAt = status.authorizationExpiresAt;
    if (expiresAt === undefined || expiresAt - now() > expiringSoonWindowMs) return;
    const what = status.authorizationExpiresWith ?? 'refreshToken';
    const id = `${accountId}:${what}:${expiresAt}`;
    if (announced.has(id)) return;
    announced.add(id);
    emitter.fire({ type: 'expiringSoon', accountId, what, expiresAt });
  }

  async function runOnce(): Promise<KeepAliveReport> {
    const at = now();
    const accounts = await options.accounts();
    const reports: KeepAliveAccountReport[] = [];
    // One at a time: a keep-alive pass is background work and must not burst the token endpoints.
    for (const account of accounts) reports.push(await keepOne(account));
    return { at, accounts: reports };
  }

  return {
    runOnce() {
      running ??= runOnce().finally(() => {
        running = undefined;
      });
      return running;
    },
    start(intervalMs = 6 * 60 * 60_000) {
      if (timer) return;
      timer = setInterval(() => {
        void this.runOnce().catch(() => {});
      }, intervalMs);
      timer.unref?.();
    },
    onDidChangeSession: emitter.event,
    dispose() {
      if (timer) clearInterval(timer);
      timer = undefined;
      emitter.dispose();
    },
  };
}
