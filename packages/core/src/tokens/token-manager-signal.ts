import { CoreErrorCode, mailplugError } from '../errors/codes.js';

/** Lets one caller stop waiting without cancelling the refresh other callers share. */
export function withCallerSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  const cancelled = () =>
    mailplugError(
      CoreErrorCode.Timeout,
      'retry',
      'Waiting for the access token was cancelled.',
      'Try the operation again.',
      { cause: signal.reason },
    );
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
