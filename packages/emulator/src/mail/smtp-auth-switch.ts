import { normaliseMailbox } from './store.js';

/** Who an SMTP AUTH switch applies to: one mailbox, or every mailbox of a Microsoft tenant. */
export type SmtpAuthTarget = { readonly mailbox: string } | { readonly tenant: string };

/**
 * Exchange Online's "Authenticated SMTP" setting (`Set-TransportConfig
 * -SmtpClientAuthenticationDisabled` for the tenant, `Set-CASMailbox -SmtpClientAuthenticationDisabled`
 * per mailbox). While it is off, every SMTP AUTH (password or OAuth) for that mailbox answers
 * `535 5.7.139`, so a host's fallback from SMTP to Graph can be tested end to end.
 */
export interface SmtpAuthSwitch {
  /** `false` turns SMTP AUTH off for the target; `true` turns it back on. */
  setEnabled(target: SmtpAuthTarget, enabled: boolean): void;
  /** `'mailbox'` / `'tenant'` when SMTP AUTH is off for the mailbox, by which setting; else undefined. */
  disabledFor(mailbox: string, tenant?: string): 'mailbox' | 'tenant' | undefined;
  /** Turns SMTP AUTH back on everywhere. */
  reset(): void;
}

export const SMTP_AUTH_DISABLED_REPLIES = {
  tenant:
    '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
  mailbox:
    '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.',
} as const;

export function createSmtpAuthSwitch(): SmtpAuthSwitch {
  const mailboxes = new Set<string>();
  const tenants = new Set<string>();
  return {
    setEnabled(target, enabled) {
      const [set, key] =
        'mailbox' in target
          ? [mailboxes, normaliseMailbox(target.mailbox)]
          : [tenants, target.tenant.toLowerCase()];
      if (enabled) set.delete(key);
      else set.add(key);
    },
    disabledFor(mailbox, tenant) {
      if (mailboxes.has(normaliseMailbox(mailbox))) return 'mailbox';
      if (tenant && tenants.has(tenant.toLowerCase())) return 'tenant';
      return undefined;
    },
    reset() {
      mailboxes.clear();
      tenants.clear();
    },
  };
}
