/**
 * The checks `enqueue` runs before anything is stored, so a message that can never be sent is
 * refused at once instead of failing later in a worker.
 */
import { CoreErrorCode, type MailAccount, type MailerPermissions, mailplugError } from '@mailplug/core';
import { OutboxErrorCode } from './errors.js';

/**
 * The mailer's own rule for who may send from an account (core's `mailer.send` applies it again at
 * delivery): system accounts need no user; a personal account only its owner; an organization
 * account a user with the host's "send on behalf of organization" permission.
 */
export async function checkSendPermission(
  account: MailAccount,
  actingUser: string | undefined,
  permissions: MailerPermissions | undefined,
): Promise<void> {
  const scope = account.scope;
  if (scope.kind === 'system') return;
  if (!actingUser) {
    throw mailplugError(
      CoreErrorCode.PermissionDenied,
      'developer',
      `Queuing mail from account "${account.id}" needs the acting user.`,
      'Pass actingUser (the signed-in host user) to outbox.enqueue for organization and personal accounts.',
      { details: { accountId: account.id, scope: scope.kind } },
    );
  }
  if (scope.kind === 'user') {
    if (scope.owner === actingUser) return;
    throw mailplugError(
      CoreErrorCode.PermissionDenied,
      'developer',
      `User "${actingUser}" may not send from the personal account "${account.id}" of another user.`,
      "Send from an account that belongs to the acting user; a user's mailbox and tokens are never shared.",
      { details: { accountId: account.id, actingUser } },
    );
  }
  if (!permissions) {
    throw mailplugError(
      OutboxErrorCode.PermissionsMissing,
      'developer',
      `The outbox cannot check who may send from the organization account "${account.id}".`,
      'Pass the same permissions object you gave createMailer to createOutbox({ permissions }).',
      { details: { accountId: account.id } },
    );
  }
  if (!(await permissions.canSendOnBehalfOfOrganization(actingUser))) {
    throw mailplugError(
      CoreErrorCode.PermissionDenied,
      'admin',
      `User "${actingUser}" may not send from the organization account "${account.id}".`,
      'Ask an administrator to grant this user the "send on behalf of organization" permission, or send from their own account.',
      { details: { accountId: account.id, actingUser } },
    );
  }
}

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
