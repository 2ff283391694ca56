import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import type { CompleteSignInOptions, MailboxIdentity } from '../spec/v1/auth-provider.js';

/**
 * Refuses a sign-in for another mailbox than the account is for, before the provider stores its
 * tokens: an admin who signs in with the wrong Google or Microsoft account would otherwise make the
 * host send as that mailbox. Comparison ignores case.
 *
 * @example
 * const identity = identityFromIdToken(tokens);
 * assertExpectedMailbox(identity, options);   // throws MAILBOX_MISMATCH
 * await tokens.save(tokenSet);
 */
export function assertExpectedMailbox(
  identity: MailboxIdentity,
  options: CompleteSignInOptions | undefined,
): void {
  const expected = options?.expectedMailbox;
  if (!expected) return;
  if (identity.mailbox.toLowerCase() === expected.toLowerCase()) return;
  throw mailplugError(
    CoreErrorCode.MailboxMismatch,
    'user',
    `The sign-in was for ${identity.mailbox}, but this account sends as ${expected}; nothing was saved.`,
    `Sign in again as ${expected} (use a private window or sign out of the other account first), or change the account's From address if the other mailbox is intended.`,
    { details: { signedIn: identity.mailbox, expected } },
  );
}
