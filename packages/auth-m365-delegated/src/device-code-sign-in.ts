/** Device-code sign-in (msal's public-client flow) for hosts without a browser, with cancel and timeout. */
import type { AuthenticationResult, DeviceCodeRequest } from '@azure/msal-node';
import {
  CoreErrorCode,
  type DeviceCodeSignIn,
  type DeviceCodeSignInOptions,
  type MailboxIdentity,
  mailplugError,
  type ProtocolId,
} from '@mailplug/core';
import { classifyEntraError, MicrosoftErrorCode } from '@mailplug/microsoft-identity';
import type { MsalSession } from './msal-session.js';

export interface DeviceCodeSignInContext {
  readonly msal: MsalSession;
  readonly now: () => number;
  scopesFor(protocols?: readonly ProtocolId[]): string[];
  finishSignIn(result: AuthenticationResult): Promise<MailboxIdentity>;
}

export function createDeviceCodeSignIn(context: DeviceCodeSignInContext): DeviceCodeSignIn {
  return {
    async signIn(opts: DeviceCodeSignInOptions): Promise<MailboxIdentity> {
      const request: DeviceCodeRequest = {
        scopes: context.scopesFor(opts.protocols),
        deviceCodeCallback: (response) =>
          opts.onPrompt({
            userCode: response.userCode,
            verificationUri: response.verificationUri,
            expiresAt: context.now() + response.expiresIn * 1000,
            message: response.message,
          }),
        ...(opts.timeoutMs !== undefined ? { timeout: Math.max(1, Math.ceil(opts.timeoutMs / 1000)) } : {}),
      };
      const flow = context.msal.deviceCodeApp().acquireTokenByDeviceCode(request);
      let stop: (() => void) | undefined;
      const interrupted = new Promise<never>((_, reject) => {
        const abort = (code: 'cancelled' | 'timeout') => {
          request.cancel = true; // msal stops polling at its next tick
          reject(
            code === 'timeout'
              ? mailplugError(
                  CoreErrorCode.Timeout,
                  'user',
                  'The device code sign-in timed out.',
                  'Start the sign-in again and enter the code sooner.',
                )
              : mailplugError(
                  MicrosoftErrorCode.SignInCancelled,
                  'user',
                  'The device code sign-in was cancelled.',
                  'Start the sign-in again when ready.',
                ),
          );
        };
        const onAbort = () => abort('cancelled');
        if (opts.signal?.aborted) onAbort();
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        const timer =
          opts.timeoutMs !== undefined ? setTimeout(() => abort('timeout'), opts.timeoutMs) : undefined;
        stop = () => {
          opts.signal?.removeEventListener('abort', onAbort);
          if (timer) clearTimeout(timer);
        };
      });
      flow.catch(() => undefined);
      let result: AuthenticationResult | null;
      try {
        result = await Promise.race([flow, interrupted]);
      } catch (error) {
        throw classifyEntraError(error, { flow: 'delegated' });
      } finally {
        stop?.();
      }
      if (!result) {
        throw mailplugError(
          MicrosoftErrorCode.SignInFailed,
          'retry',
          'The device code sign-in returned no result.',
          'Start the sign-in again.',
        );
      }
      return context.finishSignIn(result);
    },
  };
}
