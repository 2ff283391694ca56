/**
 * An access token's expiry on the session's clock. Identity libraries stamp expiries with the
 * wall clock (`Date.now() + expires_in`); a session may run on its own clock (`AuthSessionInit.now`,
 * tests and hosts that simulate time), so the lifetime is re-based onto it. Without a known expiry,
 * `defaultLifetimeMs` (an hour, what Google and Entra ID issue).
 *
 * @example
 * expiresAt: expiryOnSessionClock(result.expiresOn?.getTime(), init.now ?? Date.now),
 */
export function expiryOnSessionClock(
  wallClockExpiresAt: number | null | undefined,
  now: () => number,
  defaultLifetimeMs = 3_600_000,
): number {
  const lifetime =
    typeof wallClockExpiresAt === 'number' ? wallClockExpiresAt - Date.now() : defaultLifetimeMs;
  return now() + Math.max(0, lifetime);
}
