/**
 * @mailplug/protocol-imap — IMAP receive for Mailplug on imapflow: password and OAuth
 * (OAUTHBEARER / XOAUTH2), UIDVALIDITY-safe ids, IDLE, supervised reconnect, staged diagnostics.
 * Deprecated path, kept working. This file is the package's only public entry.
 */
export { DEFAULT_TIMEOUT_MS } from './client-options.js';
export { DEFAULT_MAX_MESSAGE_BYTES, type ImapConnection, type ImapNewMailEvent } from './connection.js';
export { classifyImapError, ImapErrorCode, isRetryableImapError } from './errors.js';
export {
  activate,
  createImapProtocol,
  IMAP_DEPRECATION,
  IMAP_DEPRECATION_CODE,
  type ImapProtocol,
  type ImapProtocolOptions,
  imap,
} from './imap-protocol.js';
export { formatMessageId } from './message-id.js';
export type { OAuthMechanism } from './session.js';
export {
  DEFAULT_BACKOFF,
  type ImapBackoffPolicy,
  type ImapSupervisor,
  type ImapSupervisorOptions,
  type SupervisorClock,
  type SupervisorEvent,
  superviseImap,
  systemClock,
} from './supervisor.js';
