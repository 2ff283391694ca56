import { ImapErrorCode, imapError } from './errors.js';

/**
 * Message ids are `<UIDVALIDITY>:<UID>`. A UID alone is only stable while the mailbox's
 * UIDVALIDITY stays the same; carrying it in the id means a mailbox that was reset (restored,
 * recreated, migrated) yields new ids, so a receive cursor treats its messages as new instead of
 * silently skipping or mixing them up.
 */
export function formatMessageId(uidValidity: bigint, uid: number): string {
  return `${uidValidity}:${uid}`;
}

export function parseMessageId(id: string, currentUidValidity: bigint, mailbox: string): number {
  const match = /^(\d+):(\d+)$/.exec(id);
  if (!match) {
    throw imapError(
      ImapErrorCode.InvalidId,
      'developer',
      `"${id.slice(0, 60)}" is not an IMAP message id from this package`,
      'Pass an id returned by list() or searchUnseen() (format <UIDVALIDITY>:<UID>).',
      { details: { id: id.slice(0, 60) } },
    );
  }
  if (BigInt(match[1] as string) !== currentUidValidity) {
    throw imapError(
      ImapErrorCode.UidValidityChanged,
      'developer',
      `IMAP mailbox ${mailbox} was reset (UIDVALIDITY ${match[1]} → ${currentUidValidity}); id ${id} no longer exists`,
      'Call list() again and treat every message as new: the server renumbered the mailbox.',
      { details: { id, mailbox, uidValidity: String(currentUidValidity) } },
    );
  }
  return Number(match[2]);
}
