/**
 * The browser sign-in of a delegated account: authorization code + PKCE through msal, with core's
 * single-use state. `begin` also serves the SSO hand-off's consent redirect (prompt, expected mailbox).
 */
import type { AuthenticationResult } from '@azure/msal-node';
import {
  type AuthSessionInit,
  type BeginSignInRequest,
  type CompleteSignInOptions,
  createAuthorizationCodeSignIns,
  type InteractiveSignIn,
  type MailboxIdentity,
  type ProtocolId,
  type SignInStart,
} from '@mailplug/core';
import { classifyEntraError } from '@mailplug/microsoft-identity';
import type { MsalSession } from './msal-session.js';
import type { M365DelegatedSettings } from './settings.js';

/** What the SSO hand-off adds to a redirect: a consent prompt and the mailbox that must sign in. */
export interface SignInExtras {
  readonly prompt?: string;
  readonly expectedMailbox?: string;
}

export interface DelegatedInteractiveSignIn extends InteractiveSignIn {
  begin(request?: BeginSignInRequest, extras?: SignInExtras): Promise<SignInStart>;
}

export interface InteractiveSignInContext {
  readonly init: AuthSessionInit;
  readonly settings: M365DelegatedSettings;
  readonly msal: MsalSession;
  readonly signInTtlMs?: number;
  scopesFor(protocols?: readonly ProtocolId[]): string[];
  finishSignIn(
    result: AuthenticationResult,
    expectedMailbox: string | undefined,
    complete: CompleteSignInOptions,
  ): Promise<MailboxIdentity>;
}

export function createInteractiveSignIn(context: InteractiveSignInContext): DelegatedInteractiveSignIn {
  const { settings, msal } = context;
  const signIns = createAuthorizationCodeSignIns(
    context.init,
    context.signInTtlMs !== undefined ? { ttlMs: context.signInTtlMs } : {},
  );

  return {
    async begin(request = {}, extras = {}) {
      const scopes = context.scopesFor(request.protocols);
      const start = await signIns.begin({
        redirectUri: request.redirectUri ?? settings.redirectUri,
        binding: request.binding,
        data: { scopes, ...(extras.expectedMailbox ? { expectedMailbox: extras.expectedMailbox } : {}) },
      });
      const loginHint = request.loginHint ?? extras.expectedMailbox ?? settings.mailbox;
      const url = await (await msal.app()).getAuthCodeUrl({
        scopes,
        redirectUri: start.redirectUri,
        codeChallenge: start.codeChallenge,
        codeChallengeMethod: 'S256',
        state: start.state,
        responseMode: 'query',
        ...(loginHint && !settings.allowSharedMailbox ? { loginHint } : {}),
        ...(extras.prompt ? { prompt: extras.prompt } : {}),
      });
      return { url, state: start.state, redirectUri: start.redirectUri, expiresAt: start.expiresAt };
    },

    async complete(params, options = {}) {
      const callback = await signIns.complete(
        params,
        ({ error, description }) =>
          classifyEntraError(
            { errorCode: error, errorMessage: `${error}: ${description ?? ''}` },
            { flow: 'delegated' },
          ),
        { binding: options.binding },
      );
      const { data } = callback;
      let result: AuthenticationResult;
      try {
        result = await (await msal.app()).acquireTokenByCode({
          code: callback.code,
          redirectUri: callback.redirectUri,
          scopes: Array.isArray(data.scopes) ? data.scopes.map(String) : context.scopesFor(),
          codeVerifier: callback.codeVerifier,
        });
      } catch (error) {
        throw classifyEntraError(error, { flow: 'delegated' });
      }
      const expected = typeof data.expectedMailbox === 'string' ? data.expectedMailbox : undefined;
      return context.finishSignIn(result, expected, options);
    },
  };
}
