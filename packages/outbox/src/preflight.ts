/**
 * What the outbox adds to core's send checks: the account must be one its workers can find again.
 * Everything else `enqueue` refuses (an invalid account, an acting user who may not send from it)
 * is `mailer.preflight`, the same rule `mailer.send` applies at delivery.
 */
import { mailplugError } from '@mailplug/core';
import { OutboxErrorCode } from './errors.js';

export function accountUnknown(accountId: string, when: 'enqueue' | 'delivery') {
  return mailplugError(
    OutboxErrorCode.AccountUnknown,
    when === 'enqueue' ? 'developer' : 'admin',
    when === 'enqueue'
      ? `The account "${accountId}" is not in the outbox's account directory.`
      : `The account "${accountId}" of a queued message no longer exists.`,
    when === 'enqueue'
      ? 'Make createOutbox({ accounts }) return this account for its id: workers look accounts up by id when they deliver.'
      : 'Restore the account (same id) and call outbox.retry(id), or cancel the message.',
    { details: { accountId } },
  );
}
