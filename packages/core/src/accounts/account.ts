import type { Security } from '../spec/v1/protocol.js';
import type { ValidationIssue } from '../spec/v1/settings.js';

/** Who an account belongs to, and so who may send from it. */
export type AccountScope =
  /** A shared account; sending needs the host's "send on behalf of organization" permission. */
  | { readonly kind: 'organization' }
  /** The host's own notifications (password resets, alerts); no user acts. */
  | { readonly kind: 'system' }
  /** One user's mailbox; only that user may send from it or use its tokens. */
  | { readonly kind: 'user'; readonly owner: string };

/**
 * A configured mailbox: server + auth (provider id and its settings) + identity + scope.
 * Secrets are never inline: secret settings are `{ "secretRef": "<name>" }`.
 *
 * @example
 * const account: MailAccount = {
 *   id: 'office', protocol: 'smtp',
 *   server: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
 *   auth: { provider: 'm365-delegated', settings: { tenantId: 'contoso.onmicrosoft.com', clientId: '…' } },
 *   identity: { fromAddress: 'office@contoso.com', displayName: 'Contoso Office' },
 *   scope: { kind: 'organization' },
 * };
 */
export interface MailAccount {
  readonly id: string;
  /**
   * A stable random key created with the account (`createAccountKey()`) and stored with it. The
   * account's tokens live under it, so a later account that reuses the id never inherits them.
   * Hosts should always set it; without it, only scope and owner tell two accounts of one id apart.
   */
  readonly key?: string;
  readonly label?: string;
  readonly protocol: 'smtp' | 'imap' | 'pop3' | (string & {});
  readonly server: {
    readonly host: string;
    /** Any port 1–65535, whatever the security mode. */
    readonly port: number;
    readonly security: Security;
    /** Connection/greeting/socket timeout; default 120. */
    readonly timeoutSeconds?: number;
    /** PEM file with extra CA certificates for private servers. */
    readonly caFile?: string;
  };
  readonly auth: {
    readonly provider: string;
    readonly settings: Readonly<Record<string, unknown>>;
  };
  /** Required for send accounts. */
  readonly identity?: {
    readonly fromAddress: string;
    readonly displayName?: string;
    /**
     * A browser sign-in must be for `fromAddress` (MAILBOX_MISMATCH otherwise). Set `true` only
     * where another mailbox is intended: a shared mailbox or an alias the signed-in user sends as.
     */
    readonly acceptAnySignInMailbox?: boolean;
  };
  readonly scope: AccountScope;
  /**
   * A second send route used only when the first is closed for this mailbox (SMTP AUTH switched
   * off, basic authentication retired) — never for a transient failure. Same sign-in, identity and
   * scope; e.g. `{ protocol: 'graph', server: { host: 'graph.microsoft.com', port: 443, security: 'tls' } }`.
   */
  readonly fallback?: {
    readonly protocol: string;
    readonly server: MailAccount['server'];
  };
  /** Permit credentials over `security: none` (OAuth only towards loopback hosts). */
  readonly allowInsecureAuth?: boolean;
}

/** A validation issue with an optional stable code for issues a host may want to single out. */
export interface AccountValidationIssue extends ValidationIssue {
  readonly code?: string;
}

export const DEFAULT_TIMEOUT_SECONDS = 120;

/**
 * Loopback literals per RFC 6890 / RFC 4291: 127.0.0.0/8, ::1 and the name `localhost` (which
 * Node resolves to them). Other `*.localhost` names are NOT loopback here: they resolve through
 * DNS or /etc/hosts, which an attacker may control.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = h.replace(/^::ffff:/, '');
  const parts = v4.split('.');
  return (
    parts.length === 4 && parts[0] === '127' && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)
  );
}
