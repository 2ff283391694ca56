/**
 * How the console shows the outbox: message tables, one message with its attempt history, and
 * the account holds an admin must act on. Every value that came from a server or a message is
 * one clean line.
 */
import type { AccountStatus, OutboxMessageStatus, OutboxState } from '@mailplug/outbox';
import { FAIL, formatTable, formatWhen, OK } from './output.js';
import { oneLine } from './terminal-text.js';

const MARK: Record<OutboxState, string> = {
  queued: '·',
  sending: '→',
  deferred: '…',
  held: '!',
  sent: OK,
  failed: FAIL,
  cancelled: '–',
};

/** What the NOTE column says: when a waiting message is due, or why it stopped. */
function note(message: OutboxMessageStatus, now: number): string {
  if (message.state === 'queued' || message.state === 'deferred') {
    const due = message.notBefore > now ? `due ${formatWhen(message.notBefore, now)}` : 'due now';
    return message.lastError ? `${due}; last: ${oneLine(message.lastError.code)}` : due;
  }
  if (message.state === 'held' || message.state === 'failed') return oneLine(message.lastError?.code);
  if (message.state === 'sent' && message.sentAt !== undefined)
    return `sent ${formatWhen(message.sentAt, now)}`;
  return '';
}

export function renderMessageTable(messages: readonly OutboxMessageStatus[], now = Date.now()): string {
  return formatTable(
    ['', 'ID', 'ACCOUNT', 'STATE', 'TRIES', 'SUBJECT', 'NOTE'],
    messages.map((m) => [
      MARK[m.state] ?? '?',
      m.id,
      oneLine(m.accountId),
      m.state,
      String(m.attempts),
      oneLine(m.subject),
      note(m, now),
    ]),
  );
}

/** One message: its facts, its last error with the hint, and every attempt. */
export function renderMessage(message: OutboxMessageStatus, now = Date.now()): string[] {
  const lines = [
    `${MARK[message.state] ?? '?'} ${message.id}: ${message.state}`,
    `  account:     ${oneLine(message.accountId)}`,
    `  subject:     ${oneLine(message.subject)}`,
    `  recipients:  ${message.recipients}`,
    `  Message-ID:  ${oneLine(message.messageId)}`,
    `  queued:      ${formatWhen(message.enqueuedAt, now)}`,
    `  attempts:    ${message.attempts}`,
  ];
  if (message.state === 'queued' || message.state === 'deferred')
    lines.push(`  due:         ${formatWhen(message.notBefore, now)}`);
  if (message.sentAt !== undefined) lines.push(`  sent:        ${formatWhen(message.sentAt, now)}`);
  if (message.result?.response) lines.push(`  server:      ${oneLine(message.result.response)}`);
  if (message.lastError && message.state !== 'sent') {
    lines.push(
      `  last error:  ${oneLine(message.lastError.code)}: ${oneLine(message.lastError.message)}`,
      `  hint:        ${oneLine(message.lastError.hint)}`,
    );
  }
  lines.push(`  history:${message.history.length === 0 ? '     (no attempt yet)' : ''}`);
  for (const attempt of message.history) {
    const what = [attempt.code, attempt.hint]
      .filter(Boolean)
      .map((v) => oneLine(v))
      .join(' — ');
    lines.push(`    ${new Date(attempt.at).toISOString()}  ${attempt.outcome.padEnd(11)} ${what}`.trimEnd());
  }
  return lines;
}

/** What an admin must do for a held account (usually: sign in again). */
export function renderHold(status: AccountStatus): string[] {
  if (!status.hold) return [];
  const { hold } = status;
  return [
    `! ${oneLine(status.accountId)}: ${status.counts.held} message${status.counts.held === 1 ? '' : 's'} held since ${formatWhen(hold.since)} — ${oneLine(hold.error.code)}`,
    `  hint: ${oneLine(hold.error.hint)}`,
    ...(hold.error.action === 'user'
      ? [
          `  next: mailplug-console sign-in ${oneLine(status.accountId)} (releases the hold), or fix the account and run "mailplug-console outbox release ${oneLine(status.accountId)}"`,
        ]
      : []),
  ];
}
