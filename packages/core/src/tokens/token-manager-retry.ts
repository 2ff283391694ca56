import { CoreErrorCode, mailplugError } from '../errors/codes.js';
import { isMailplugError, type MailplugError } from '../spec/v1/mailplug-error.js';
import type { Logger } from '../spec/v1/stores.js';
import { type BackoffPolicy, backoffDelay } from '../util/backoff.js';
import { classifyFailure } from './classify-failure.js';
import type { TokenRefreshResult, TokenSet } from './token-manager.js';
import { validateRefreshResult } from './token-set.js';

/** What the TokenManager's retry loop needs from the manager (resolved defaults, no optionals). */
export interface RefreshRetryOptions {
  readonly accountId: string;
  readonly refresh: (
    current: TokenSet | undefined,
    ctx: { forceRefresh: boolean; signal: AbortSignal },
  ) => Promise<TokenRefreshResult>;
  /** The provider's own classifier, if it gave one; its hint is kept on the final TRANSIENT. */
  readonly classify?: (error: unknown) => MailplugError;
  /** Total attempts, at least 1. */
  readonly attempts: number;
  /** Full jitter (`jitter` 1) under an exponential ceiling. */
  readonly backoff: BackoffPolicy;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  /** Aborted when the manager is disposed: no further attempts start. */
  readonly signal: AbortSignal;
  /**
   * Deadline of one refresh attempt (ms). A token endpoint that accepts the connection and never
   * answers becomes a classified TIMEOUT (`retry`) after this long, whether or not the provider's
   * library honours the abort signal it is given.
   */
  readonly requestTimeoutMs: number;
  /** Ceiling on the whole retry loop (ms): no attempt or wait starts that would end after it. */
  readonly maxTotalMs: number;
  readonly now: () => number;
  readonly logger?: Logger;
}

export interface RefreshOutcome {
  readonly tokens: TokenSet;
  /** The provider reported a refresh-token rotation it stored outside the token set. */
  readonly rotated: boolean;
}

/**
 * The TokenManager's refresh with retries: transient failures (`action: 'retry'`) are retried with
 * {@link backoffDelay} (full jitter, ceiling), where a server's Retry-After is a floor and one above
 * the ceiling stops retrying; every other failure is thrown at once, classified. When the attempts
 * run out the caller gets TRANSIENT (action `retry`), never a credential error.
 */
export function createRefreshWithRetry(
  options: RefreshRetryOptions,
): (current: TokenSet | undefined, forceRefresh: boolean) => Promise<RefreshOutcome> {
  const { accountId, attempts, backoff, logger, signal } = options;

  const safeClassify = (error: unknown): MailplugError => {
    if (!options.classify) return classifyFailure(error);
    try {
      const mapped = options.classify(error);
      return isMailplugError(mapped) ? mapped : classifyFailure(error);
    } catch {
      return classifyFailure(error);
    }
  };

  const attemptWithDeadline = (current: TokenSet | undefined, forceRefresh: boolean) => {
    const attempt = new AbortController();
    const stop = () => attempt.abort(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = refreshTimeout(accountId, options.requestTimeoutMs);
        attempt.abort(error);
        reject(error);
      }, options.requestTimeoutMs);
      timer.unref?.();
    });
    return Promise.race([
      options.refresh(current, { forceRefresh, signal: attempt.signal }),
      deadline,
    ]).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    });
  };

  return async (current, forceRefresh) => {
    let last: MailplugError | undefined;
    let made = 0;
    const startedAt = options.now();
    while (made < attempts) {
      if (signal.aborted) break;
      made++;
      let result: TokenRefreshResult;
      try {
        result = await attemptWithDeadline(current, forceRefresh);
      } catch (error) {
        const classified = safeClassify(error);
        if (classified.action !== 'retry') throw classified;
        last = classified;
        if (made >= attempts) break;
        let wait = backoffDelay(made, backoff, options.random);
        if (classified.retryAfterMs !== undefined) {
          if (classified.retryAfterMs > backoff.maxDelayMs) break;
          wait = Math.max(wait, classified.retryAfterMs);
        }
        // The next attempt could not finish before the ceiling: stop now, classified as transient.
        if (options.now() - startedAt + wait + options.requestTimeoutMs > options.maxTotalMs) break;
        logger?.warn('Mailplug token refresh failed transiently; retrying', {
          accountId,
          attempt: made,
          delayMs: wait,
          code: classified.code,
        });
        await options.sleep(wait);
        continue;
      }
      return {
        tokens: validateRefreshResult(result, current, accountId),
        rotated: (result as Partial<TokenRefreshResult> | undefined)?.rotated === true,
      };
    }
    throw mailplugError(
      CoreErrorCode.Transient,
      'retry',
      `Could not refresh the access token for account "${accountId}" after ${made} attempt(s): ${last?.message ?? 'cancelled'}`,
      // A provider's own classify knows its service (Retry-After, status pages); keep its advice.
      options.classify && last
        ? last.hint
        : 'Mailplug will try again on the next send; if it keeps failing, check that this machine can reach the identity provider.',
      {
        cause: last,
        details: { accountId, attempts: made, lastCode: last?.code },
        ...(last?.retryAfterMs !== undefined ? { retryAfterMs: last.retryAfterMs } : {}),
      },
    );
  };
}

function refreshTimeout(accountId: string, timeoutMs: number): MailplugError {
  return mailplugError(
    CoreErrorCode.Timeout,
    'retry',
    `The identity provider did not answer the token request for account "${accountId}" within ${timeoutMs} ms.`,
    'Mailplug retries automatically; if it keeps timing out, check that this machine can reach the identity provider (proxy, firewall) and that the provider is up.',
    { details: { accountId, timeoutMs } },
  );
}
