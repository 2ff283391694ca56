/**
 * @mailplug/protocol-gmail-api — the Gmail API `users.messages.send` for Mailplug: the RFC 5322
 * message (as on the SMTP route) over HTTPS with the sensitive `gmail.send` scope, media upload
 * for large messages up to 35 MB, Google API errors classified with the fix, and a probe.
 */

export type { HttpProxyOptions } from '@mailplug/http-send';
export {
  activate,
  createGmailApiProtocol,
  type GmailApiProtocolOptions,
  gmailApi,
} from './gmail-api-protocol.js';
export {
  GMAIL_MAX_MESSAGE_BYTES,
  GMAIL_SIMPLE_SEND_MAX_BYTES,
  type GmailConnectionSettings,
} from './gmail-connection.js';
export { GMAIL_API_SEND_SCOPES, GMAIL_SEND_SCOPE, GmailApiErrorCode } from './gmail-errors.js';
