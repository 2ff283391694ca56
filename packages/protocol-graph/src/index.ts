/**
 * @mailplug/protocol-graph — Microsoft Graph sendMail for Mailplug: the RFC 5322 message (as on
 * the SMTP route) over HTTPS, Retry-After on throttling, at most 4 requests per mailbox in flight,
 * national clouds as data, Graph errors classified with the fix, and a "Test connection" probe.
 */

export type { HttpProxyOptions } from '@mailplug/http-send';
export {
  GRAPH_CLOUDS,
  type GraphCloud,
  type GraphCloudId,
  graphCloudForHost,
  graphScopes,
} from './graph-clouds.js';
export { GRAPH_MAX_REQUEST_BYTES, type GraphConnectionSettings } from './graph-connection.js';
export { GraphErrorCode } from './graph-errors.js';
export {
  activate,
  createGraphProtocol,
  DEFAULT_MAX_CONCURRENT_REQUESTS_PER_MAILBOX,
  type GraphProtocolOptions,
  graph,
} from './graph-protocol.js';
