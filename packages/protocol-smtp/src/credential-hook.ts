import {
  CoreErrorCode,
  type CredentialSource,
  type MailCredential,
  MailplugError,
  type OAuth2Credential,
} from '@mailplug/core';
import { ORIGINAL_ERROR } from './classify.js';

/**
 * nodemailer's `provisionCallback` for XOAUTH2. Every call goes to the CredentialSource (which owns
 * caching and single-flight refresh); nodemailer is told the token is already stale (`expires: 1`)
 * so that it never keeps its own per-connection copy and bypasses the source.
 */
export function createProvisionCallback(
  credentials: CredentialSource,
  state: { forceNextRefresh: boolean },
): (
  user: string,
  renew: boolean,
  callback: (err: Error | null, accessToken?: string, expires?: number) => void,
) => void {
  return (_user, renew, callback) => {
    const forceRefresh = renew || state.forceNextRefresh;
    state.forceNextRefresh = false;
    credentials.getCredential({ protocol: 'smtp', ...(forceRefresh ? { forceRefresh: true } : {}) }).then(
      (credential) => {
        if (credential.kind !== 'oauth2') return callback(wrapForNodemailer(kindChanged(credential)));
        callback(null, credential.accessToken, 1);
      },
      (error: unknown) => callback(wrapForNodemailer(error)),
    );
  };
}

/** nodemailer rewrites `code` on errors it passes through; keep the original on a symbol instead. */
export function wrapForNodemailer(error: unknown): Error {
  const carrier = new Error('The credential source failed');
  Object.defineProperty(carrier, ORIGINAL_ERROR, { value: error, enumerable: false });
  return carrier;
}

function kindChanged(credential: MailCredential): MailplugError {
  return new MailplugError({
    code: CoreErrorCode.ProtocolMismatch,
    action: 'developer',
    message: `The credential source switched from an OAuth token to a ${credential.kind} credential on an open connection.`,
    hint: 'Open a new connection after changing the account’s auth provider.',
  });
}

export type { OAuth2Credential };
