/**
 * @mailplug/http-send — what Mailplug's send protocols over HTTP APIs (Microsoft Graph sendMail,
 * the Gmail API) share: an undici client with TLS trust, HTTP(S)_PROXY / NO_PROXY and a deadline
 * on every request; failures without an answer classified (cancelled, timeout, TLS, proxy,
 * unreachable); Retry-After; the send connection's lifecycle with one token refresh on 401; and the
 * "Test connection" steps. Each protocol describes itself once as an `HttpSendApi`.
 */
export { type AnswerErrorFactory, answerErrors, retryAfterMs } from './http-answer.js';
export type { HttpSendApi, HttpSendErrorCodes } from './http-send-api.js';
export {
  type HttpProbeCheck,
  type HttpProbeInit,
  type ProbeStepOutcome,
  probeHttpSend,
} from './probe.js';
export { classifyRequestFailure, type FailedRequest } from './request-failure.js';
export {
  cancelledBeforeSending,
  credentialUnsupported,
  type HttpSendConnectionInit,
  noRecipients,
  oauthCredential,
  openHttpSendConnection,
  postRefreshingOnce,
  type RefreshedAnswer,
} from './send-connection.js';
export {
  createHttpTransport,
  DEFAULT_HTTP_TIMEOUT_MS,
  type HttpProxyOptions,
  type HttpRequestInit,
  type HttpResponse,
  type HttpTransport,
  originFor,
} from './transport.js';
