/**
 * @mailplug/protocol-smtp — SMTP sending for Mailplug on nodemailer: STARTTLS / implicit TLS,
 * PLAIN / LOGIN / XOAUTH2, pooling with backpressure, deadlines, one safe reconnect, HTTP CONNECT
 * proxies, reply classification and staged diagnostics.
 */
export {
  classifySmtpError,
  type SmtpClassificationContext,
  SmtpErrorCode,
  type SmtpFailureSignal,
  smtpFailureSignal,
} from './classify.js';
export { DEFAULT_SMTP_TIMEOUT_MS, type SmtpDeadlines, smtpDeadlines } from './deadlines.js';
export { probeSmtp } from './probe.js';
export type { SmtpProxyOptions, SmtpProxySetting } from './proxy.js';
export type { SmtpConnectionSettings } from './send-connection.js';
export { activate, createSmtpProtocol, type SmtpProtocolOptions, smtp } from './smtp-protocol.js';
