import { CoreErrorCode, MailplugError } from '@mailplug/core';
import type { HttpSendApi } from './http-send-api.js';

/** Where a request stood when it failed without an HTTP answer. */
export interface FailedRequest {
  readonly url: string;
  readonly deadlineMs: number;
  /** The caller's signal (send option or connection option), if it fired. */
  readonly cancelled?: AbortSignal | undefined;
  /** The request deadline's signal. */
  readonly deadline: AbortSignal;
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** The socket-level code under undici's error (cause chains are two deep at most). */
function causeCode(error: unknown): { code?: string; message: string } {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_CONNECT_TIMEOUT_WRAPPED') {
      return { code, message: String((current as Error).message ?? '') };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

/**
 * A request that ended without an HTTP answer: cancelled, past its deadline, or a network / TLS /
 * proxy failure. `details.mayHaveBeenDelivered` says whether the API could have received it: true
 * once the request was on its way, false when no connection (or no tunnel) was ever made.
 */
export function classifyRequestFailure(
  error: unknown,
  request: FailedRequest,
  api: HttpSendApi,
): MailplugError {
  const host = new URL(request.url).host;
  const maybeReceived = ` ${api.receiver} may already have received the message.`;
  if (request.cancelled?.aborted) {
    return new MailplugError({
      code: CoreErrorCode.SendCancelled,
      action: 'retry',
      message: `The ${api.shortName} send was cancelled by the caller.${maybeReceived}`,
      hint: `Send the message again when the host is ready; check ${api.sentFolder} first if it must go out once.`,
      cause: request.cancelled.reason,
      details: { mayHaveBeenDelivered: true },
    });
  }
  if (request.deadline.aborted) {
    return new MailplugError({
      code: api.codes.timeout,
      action: 'retry',
      message: `${api.name} (${host}) did not answer within ${request.deadlineMs} ms.`,
      hint: `Send again later (check ${api.sentFolder} first: ${api.receiver} may have received it); if it keeps happening check the network path to ${api.networkPath} and raise the server timeout.`,
      cause: error,
      details: { host, deadlineMs: request.deadlineMs, mayHaveBeenDelivered: true },
    });
  }
  const { code, message } = causeCode(error);
  const details = { host, ...(code ? { errno: code } : {}) };
  if (code && (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))) {
    return new MailplugError({
      code: api.codes.tlsFailed,
      action: 'admin',
      message: `The TLS connection to ${host} failed (${code}).`,
      hint: 'If a TLS-inspecting proxy or a private gateway sits in between, give its CA certificate in the server settings (tls.ca); otherwise check the host name.',
      cause: error,
      details: { ...details, mayHaveBeenDelivered: false },
    });
  }
  if (/proxy/i.test(message) || code === 'UND_ERR_PRX_TLS') {
    return new MailplugError({
      code: api.codes.proxyFailed,
      action: 'admin',
      message: `The HTTP proxy did not open a tunnel to ${host}: ${message}`,
      hint: `Check HTTPS_PROXY / the proxy option (host, port, credentials) and that the proxy allows CONNECT to ${api.proxyTarget}, or list the host in NO_PROXY.`,
      cause: error,
      details: { ...details, mayHaveBeenDelivered: false },
    });
  }
  if (code === 'ENOTFOUND' || code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return new MailplugError({
      code: api.codes.connectionFailed,
      action: 'admin',
      message: `Cannot reach ${host} (${code}).`,
      hint: `Check the server host and port of the account (${api.expectedServer}) and that the firewall allows outbound HTTPS to it.`,
      cause: error,
      details: { ...details, mayHaveBeenDelivered: false },
    });
  }
  return new MailplugError({
    code: api.codes.connectionFailed,
    action: 'retry',
    message: `The connection to ${host} failed${code ? ` (${code})` : ''}.${maybeReceived}`,
    hint: `Send again later; check ${api.sentFolder} first if it matters that the message goes out once.`,
    cause: error,
    details: { ...details, mayHaveBeenDelivered: true },
  });
}
