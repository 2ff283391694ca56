/**
 * @mailplug/protocol-pop3 — POP3 receive (RFC 1939, CAPA, STLS, AUTH PLAIN, AUTH XOAUTH2) for
 * Mailplug. Deprecated path, kept working. This file is the package's only public entry.
 */
export { Pop3ErrorCode } from './errors.js';
export {
  activate,
  createPop3Protocol,
  POP3_DEPRECATION,
  POP3_DEPRECATION_CODE,
  type Pop3Protocol,
  type Pop3ProtocolOptions,
  pop3,
} from './pop3-protocol.js';
export { DEFAULT_MAX_MESSAGE_BYTES, type PasswordMechanism, type Pop3Connection } from './session.js';
