/**
 * Default per-mailbox sending limits from the providers' published quotas (sources in the README).
 * The outbox stays under them by deferring, instead of letting the server refuse or suspend the
 * mailbox.
 */
import type { MailAccount } from '@mailplug/core';
import type { MailboxLimits } from './outbox-store.js';

/** Exchange Online: 30 messages a minute (SMTP submission) and 10,000 recipients a day per mailbox. */
export const EXCHANGE_ONLINE_LIMITS: MailboxLimits = Object.freeze({
  messagesPerMinute: 30,
  recipientsPerDay: 10_000,
});

/** Google Workspace (paid): 2,000 messages and 10,000 recipients in a rolling 24 hours per user. */
export const GOOGLE_WORKSPACE_LIMITS: MailboxLimits = Object.freeze({
  messagesPerDay: 2_000,
  recipientsPerDay: 10_000,
});

/** Personal Gmail: 500 messages in a rolling 24 hours. */
export const GMAIL_LIMITS: MailboxLimits = Object.freeze({ messagesPerDay: 500 });

const MICROSOFT_PROVIDERS = new Set(['m365-delegated', 'm365-app-only']);
const EXCHANGE_HOSTS = /(^|\.)(office365\.com|outlook\.office\.com|office365\.us|partner\.outlook\.cn)$/i;
const GMAIL_HOSTS = /(^|\.)(gmail\.com|googlemail\.com)$/i;
const GMAIL_DOMAINS = /^(gmail\.com|googlemail\.com)$/i;

/**
 * The provider's published limits for this account's mailbox, or none for other servers:
 * Microsoft providers or Exchange Online hosts → {@link EXCHANGE_ONLINE_LIMITS}; the Gmail provider
 * or Gmail hosts → {@link GMAIL_LIMITS} for @gmail.com senders, otherwise
 * {@link GOOGLE_WORKSPACE_LIMITS}.
 *
 * @example
 * defaultSendingLimits(account); // { messagesPerMinute: 30, recipientsPerDay: 10000 } for smtp.office365.com
 */
export function defaultSendingLimits(account: MailAccount): MailboxLimits {
  const host = account.server.host.trim();
  if (MICROSOFT_PROVIDERS.has(account.auth.provider) || EXCHANGE_HOSTS.test(host)) {
    return EXCHANGE_ONLINE_LIMITS;
  }
  if (account.auth.provider === 'gmail-oauth' || GMAIL_HOSTS.test(host)) {
    const domain = account.identity?.fromAddress.split('@')[1] ?? '';
    return GMAIL_DOMAINS.test(domain) ? GMAIL_LIMITS : GOOGLE_WORKSPACE_LIMITS;
  }
  return {};
}
