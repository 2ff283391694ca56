/** Node and undici error codes that mean "the network hiccupped", never "the credentials are bad". */
export const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ETIMEDOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EPIPE',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/**
 * The transient network error code (`ECONNRESET`, `UND_ERR_SOCKET`...) of a failure or of one of its
 * causes (five levels deep), or `undefined`. Providers classify such a failure as `retry`: an
 * identity platform that cannot be reached says nothing about the credentials.
 *
 * @example
 * if (transientNetworkCodeOf(error)) return mailplugError('TRANSIENT', 'retry', ..., { cause: error });
 */
export function transientNetworkCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const { code, errorCode, cause } = current as { code?: unknown; errorCode?: unknown; cause?: unknown };
    for (const candidate of [code, errorCode]) {
      if (typeof candidate === 'string' && TRANSIENT_NETWORK_CODES.has(candidate)) return candidate;
    }
    current = cause;
  }
  return undefined;
}
