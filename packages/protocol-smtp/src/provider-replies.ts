import type { ErrorAction } from '@mailplug/core';

/**
 * Replies Gmail and Exchange Online send that mean something more specific than their SMTP class:
 * each row names who must act and the fix. Data only; `classifySmtpError` matches these before
 * its generic rules (first match wins). A row matches when every field it sets matches.
 */
export interface ProviderReplyRule {
  readonly code: string;
  readonly action: ErrorAction;
  readonly message: string;
  readonly hint: string;
  /** For `retry` rows: when the same mailbox can send again. */
  readonly retryAfterMs?: number;
  /** SMTP reply code (534, 535...). */
  readonly replyCode?: number;
  /** Enhanced status code (`5.7.139`). */
  readonly status?: string;
  /** Matched against the whole reply text (all lines of a multi-line reply). */
  readonly text?: RegExp;
}

const MINUTE = 60_000;

const SEND_AS_HINT =
  'Grant the signed-in user Send As on the From mailbox in Exchange Online PowerShell (Add-RecipientPermission -Identity <mailbox> -Trustee <user> -AccessRights SendAs), or send from the signed-in mailbox’s own address.';
const OAUTH_NOT_AUTHENTICATED_SMTP_HINT =
  'Switch the account to Microsoft 365 sign-in (OAuth, a Microsoft 365 auth provider): Microsoft no longer accepts passwords for SMTP here, and turning on Authenticated SMTP does not bring them back.';
const GRAPH_ALTERNATIVE = 'or send through Microsoft Graph (the graph protocol) instead of SMTP.';

export const PROVIDER_REPLY_RULES: readonly ProviderReplyRule[] = Object.freeze([
  {
    code: 'SMTP_APP_PASSWORD_REQUIRED',
    action: 'user',
    message:
      'Google refused the password: the account uses 2-Step Verification and needs an app password or OAuth (534 5.7.9).',
    hint: 'Switch the account to Sign in with Google (OAuth), or create an app password at https://myaccount.google.com/apppasswords and store it as the account password.',
    replyCode: 534,
    status: '5.7.9',
  },
  {
    code: 'SMTP_WEB_SIGN_IN_REQUIRED',
    action: 'user',
    message: 'Google blocked the sign-in and asks for a sign-in in a web browser first (534 5.7.14).',
    hint: 'Sign in to this Google account once in a web browser at https://accounts.google.com and confirm the security prompt, then send again; switching the account to Sign in with Google (OAuth) avoids this check.',
    replyCode: 534,
    status: '5.7.14',
  },
  {
    code: 'SMTP_BASIC_AUTH_DISABLED',
    action: 'admin',
    message:
      'Exchange Online has basic authentication (passwords) turned off for SMTP in this tenant (535 5.7.139).',
    hint: OAUTH_NOT_AUTHENTICATED_SMTP_HINT,
    status: '5.7.139',
    text: /basic authentication is disabled/i,
  },
  {
    code: 'SMTP_AUTH_DISABLED',
    action: 'admin',
    message:
      'Exchange Online has SMTP AUTH (Authenticated SMTP) turned off for the whole tenant (535 5.7.139).',
    hint: `Turn on Authenticated SMTP for the organization (Exchange admin center → Settings → Mail flow → clear "Turn off SMTP AUTH protocol for your organization", or Set-TransportConfig -SmtpClientAuthenticationDisabled $false; Security Defaults must be off), ${GRAPH_ALTERNATIVE}`,
    status: '5.7.139',
    text: /SmtpClientAuthentication is disabled for the Tenant/i,
  },
  {
    code: 'SMTP_AUTH_DISABLED',
    action: 'admin',
    message: 'Exchange Online has SMTP AUTH (Authenticated SMTP) turned off for this mailbox (535 5.7.139).',
    hint: `Turn on Authenticated SMTP for the mailbox (Microsoft 365 admin center → Users → Active users → the user → Mail → Manage email apps → Authenticated SMTP, or Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false), ${GRAPH_ALTERNATIVE}`,
    status: '5.7.139',
    text: /SmtpClientAuthentication is disabled for the Mailbox/i,
  },
  {
    code: 'SMTP_AUTH_DISABLED',
    action: 'admin',
    message: 'Exchange Online has SMTP AUTH turned off for this mailbox or tenant (535 5.7.139).',
    hint: `Turn on Authenticated SMTP for the mailbox (Microsoft 365 admin center → the user → Mail → Manage email apps) and for the tenant (Set-TransportConfig -SmtpClientAuthenticationDisabled $false), ${GRAPH_ALTERNATIVE}`,
    status: '5.7.139',
  },
  {
    code: 'SMTP_BASIC_AUTH_DISABLED',
    action: 'admin',
    message: 'Exchange Online no longer accepts basic authentication for SMTP client submission (5.7.30).',
    hint: OAUTH_NOT_AUTHENTICATED_SMTP_HINT,
    status: '5.7.30',
  },
  {
    code: 'SMTP_SEND_AS_DENIED',
    action: 'admin',
    message:
      'Exchange Online refused to send as the From address: the signed-in user has no Send As permission on it (SendAsDenied).',
    hint: SEND_AS_HINT,
    text: /SendAsDenied/i,
  },
  {
    code: 'SMTP_SEND_AS_DENIED',
    action: 'admin',
    message:
      'Exchange Online refused to send as the From address: the signed-in user has no Send As permission on it (5.7.60).',
    hint: SEND_AS_HINT,
    status: '5.7.60',
  },
  {
    code: 'SMTP_MAILBOX_CONCURRENCY_LIMIT',
    action: 'retry',
    message:
      'Exchange Online refused the message because this mailbox has too many messages in flight at once (432 4.3.2 sender thread limit exceeded).',
    hint: 'Send fewer messages at the same time from this mailbox (Exchange Online allows 3 concurrent SMTP connections per mailbox); the message can be sent again in a minute.',
    retryAfterMs: MINUTE,
    status: '4.3.2',
    text: /sender thread limit/i,
  },
  {
    code: 'SMTP_SUBMISSION_QUOTA_EXCEEDED',
    action: 'retry',
    message:
      'Exchange Online refused the message because the mailbox reached its sending quota (SubmissionQuotaExceeded: 10,000 recipients per rolling 24 hours).',
    hint: 'Hold this mailbox’s mail and send it again later (the quota is a rolling 24 hours), or spread the volume over more mailboxes.',
    retryAfterMs: 60 * MINUTE,
    text: /SubmissionQuotaExceeded/i,
  },
  {
    code: 'SMTP_SUBMISSION_QUOTA_EXCEEDED',
    action: 'retry',
    message: 'Google refused the message because the account reached its daily sending limit (550 5.4.5).',
    hint: 'Hold this mailbox’s mail and send it again later (Google counts a rolling 24 hours), or spread the volume over more mailboxes.',
    retryAfterMs: 60 * MINUTE,
    status: '5.4.5',
  },
] satisfies ProviderReplyRule[]);
