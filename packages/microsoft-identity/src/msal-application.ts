/** Small pieces of msal glue both Microsoft providers need around their client applications. */
import type { AuthenticationResult } from '@azure/msal-node';
import { expiryOnSessionClock } from '@mailplug/core';

/** An msal client application built on first use; a failed build (a missing secret) is retried next time. */
export interface LazyClientApplication<T> {
  get(): Promise<T>;
  /** Forget the application (sign-out), so the next use builds a fresh one. */
  reset(): void;
}

/**
 * @example
 * const app = lazyClientApplication(async () =>
 *   new ConfidentialClientApplication(msalConfigurationFor(settings, { clientSecret: await secret() })));
 * const result = await (await app.get()).acquireTokenByClientCredential({ scopes });
 */
export function lazyClientApplication<T>(create: () => Promise<T>): LazyClientApplication<T> {
  let pending: Promise<T> | undefined;
  return {
    get() {
      if (!pending) {
        const building = create();
        pending = building;
        building.catch(() => {
          if (pending === building) pending = undefined;
        });
      }
      return pending;
    },
    reset() {
      pending = undefined;
    },
  };
}

/**
 * When an msal result's access token expires (epoch ms) on the session's clock — msal stamps it
 * with the wall clock; an hour, Entra ID's default, if msal gave none.
 */
export function accessTokenExpiresAt(
  result: Pick<AuthenticationResult, 'expiresOn'>,
  now: () => number = Date.now,
): number {
  return expiryOnSessionClock(result.expiresOn?.getTime(), now);
}
