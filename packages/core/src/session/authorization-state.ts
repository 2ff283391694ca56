import type { AuthorizationState } from '../spec/v1/auth-provider.js';
import type { MailplugError } from '../spec/v1/mailplug-error.js';

/**
 * The authorization state a failed `checkAuthorization` reports, from who must act on the error:
 * a user signs in again (`reauthRequired`), a transient failure is `temporarilyUnavailable` (never
 * `misconfigured`, so admins do not rotate working secrets during an outage), anything else needs
 * an admin or a developer (`misconfigured`). Every provider uses this one mapping.
 *
 * @example
 * catch (error) {
 *   const e = classifyFailure(error);
 *   return { state: authorizationStateFor(e), grantedScopes: [], error: e };
 * }
 */
export function authorizationStateFor(error: Pick<MailplugError, 'action'>): AuthorizationState {
  switch (error.action) {
    case 'user':
      return 'reauthRequired';
    case 'retry':
      return 'temporarilyUnavailable';
    default:
      return 'misconfigured';
  }
}
