import type { MailStore } from './store.js';

/** What the identity half reports about a bearer token (RFC 7662 introspection, flattened). */
export interface TokenInfo {
  active: boolean;
  /** Mailbox the token belongs to (delegated) or was issued for (Google domain-wide delegation). */
  username?: string | undefined;
  /** Delegated scopes (`scp`), either short (`SMTP.Send`) or full (`https://outlook.office.com/SMTP.Send`). */
  scopes: string[];
  /** Application permissions (`roles`) of an app-only token (`SMTP.SendAsApp`, ...). */
  roles: string[];
  audience?: string | undefined;
  appOnly: boolean;
  flavour: 'microsoft' | 'google';
  /** Epoch milliseconds. */
  expiresAt?: number | undefined;
  /** Client (application) id; identifies the app for `appMailboxPermissions`. */
  clientId?: string | undefined;
  /** Microsoft tenant (`tid`) of the token; decides tenant-wide switches such as SMTP AUTH off. */
  tenantId?: string | undefined;
}

export type ValidateToken = (token: string) => Promise<TokenInfo>;

export type MailProtocolName = 'smtp' | 'pop3' | 'imap';

export interface MailServersOptions {
  /** Interface to bind; default `127.0.0.1`. */
  host?: string | undefined;
  /** Server key/certificate (for example from `createLocalCa().issueServerCert([...])`). */
  tls: { keyPem: string; certPem: string };
  validateToken: ValidateToken;
  /** mailbox -> password for PLAIN / LOGIN / USER-PASS. */
  passwordUsers?: Record<string, string> | undefined;
  /** Ports to listen on; 0 or omitted = ephemeral. */
  ports?: Partial<MailServerPorts> | undefined;
  /**
   * Mailboxes an app-only token's application may use (Exchange's `Add-MailboxPermission` /
   * `Add-RecipientPermission`). Return `['*']` for all. Without this option app-only tokens
   * are refused for every mailbox, like an Exchange that does not know the app.
   */
  appMailboxPermissions?: ((appId: string) => string[] | Promise<string[]>) | undefined;
  /**
   * Whether a delegated user may act as another mailbox (shared mailbox, Send As).
   * Default: only their own mailbox.
   */
  canActAs?: ((username: string, mailbox: string) => boolean) | undefined;
  /** SMTP answers `501 5.5.127` when a token expires within this many ms; default 60 000. */
  tokenExpirySkewMs?: number | undefined;
  /** Host name shown in greetings; default `localhost`. */
  serverName?: string | undefined;
  /**
   * Microsoft tenant of a mailbox, for tenant-wide SMTP AUTH switches when the credential itself
   * does not say (passwords). Default: unknown.
   */
  tenantOf?: ((mailbox: string) => string | undefined) | undefined;
  /** Use this store instead of a new one (the emulator shares one with its HTTP send APIs). */
  store?: MailStore | undefined;
}

export interface MailServerPorts {
  smtp: number;
  smtps: number;
  pop3: number;
  pop3s: number;
  imap: number;
  imaps: number;
}
