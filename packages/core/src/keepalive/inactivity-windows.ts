/**
 * How long an identity platform keeps an unused refresh token alive, per first-party provider id.
 * Data, not code: a host adds its own providers through `KeepAliveOptions.inactivityWindows`.
 * Sources: Microsoft identity platform refresh-token lifetime (90 days of inactivity, AADSTS700082);
 * Google OAuth 2.0 refresh-token expiration (unused for six months; seven days for apps whose
 * consent screen is in "Testing").
 */
export const REFRESH_TOKEN_INACTIVITY_WINDOWS_MS: Readonly<Record<string, number>> = Object.freeze({
  'm365-delegated': days(90),
  'gmail-oauth': days(182),
});

/** Google's refresh tokens for apps in Testing mode end seven days after the sign-in, used or not. */
export const GOOGLE_TESTING_MODE_REFRESH_TOKEN_LIFETIME_MS = days(7);

export function days(n: number): number {
  return n * 24 * 60 * 60_000;
}
