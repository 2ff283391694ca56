import type { MailAccount } from '../accounts/account.js';
import { isMailplugError, type MailplugError } from '../spec/v1/mailplug-error.js';

/**
 * A protocol marks an error "route closed" (`details.routeClosed: true`) when the route itself is
 * switched off for this mailbox — SMTP AUTH disabled (`535 5.7.139`), basic authentication no
 * longer accepted (`550 5.7.30`), a token whose scopes this route does not accept — as opposed to
 * a transient failure or a wrong credential. Only such errors move a send to the fallback route.
 */
export function isRouteClosed(error: unknown): error is MailplugError {
  return isMailplugError(error) && error.action !== 'retry' && error.details?.routeClosed === true;
}

/** The account as its fallback route sees it: same identity, auth and scope; the route's protocol and server. */
export function fallbackAccount(account: MailAccount): MailAccount | undefined {
  const fallback = account.fallback;
  if (!fallback) return undefined;
  const { fallback: _primaryFallback, ...rest } = account;
  return { ...rest, protocol: fallback.protocol, server: fallback.server };
}

/** Connections are per account and route. */
export function routeKey(account: Pick<MailAccount, 'id' | 'protocol'>): string {
  return `${account.id}\u0000${account.protocol}`;
}

/** How long a closed primary route is skipped before it is tried again (an admin may turn it on). */
export const CLOSED_ROUTE_RETRY_MS = 60 * 60_000;

/** Remembers primary routes found closed, so each send does not spend a failed login first. */
export function createClosedRoutes(now: () => number = Date.now) {
  const closedUntil = new Map<string, number>();
  return {
    isClosed(key: string): boolean {
      const until = closedUntil.get(key);
      if (until === undefined) return false;
      if (until > now()) return true;
      closedUntil.delete(key);
      return false;
    },
    close(key: string): void {
      closedUntil.set(key, now() + CLOSED_ROUTE_RETRY_MS);
    },
    open(key: string): void {
      closedUntil.delete(key);
    },
    clear(accountId: string): void {
      for (const key of [...closedUntil.keys()])
        if (key.startsWith(`${accountId}\u0000`)) closedUntil.delete(key);
    },
  };
}
