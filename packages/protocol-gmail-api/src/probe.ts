import {
  type CredentialSource,
  type DiagnosticReport,
  MailplugError,
  type OAuth2Credential,
  type ProbeOptions,
  type ServerSettings,
} from '@mailplug/core';
import { createProbeSteps, credentialOutcome, oauthCredential, sendTestMessage } from '@mailplug/http-send';
import {
  connectGmailApi,
  createGmailEndpoint,
  GMAIL_API,
  type GmailConnectionSettings,
  type GmailEndpoint,
} from './gmail-connection.js';
import {
  classifyGmailResponse,
  GMAIL_API_SEND_SCOPES,
  GMAIL_SEND_SCOPE,
  GmailApiErrorCode,
  readGoogleError,
} from './gmail-errors.js';

const LABELS: Record<string, string> = {
  credential: 'Access token',
  scopes: 'Token scopes',
  auth: 'Gmail accepts the token for the mailbox',
  send: 'Send test message',
};

/**
 * "Test connection" for the Gmail API. Proves: a token is handed out for `gmail-api`; its scopes
 * allow sending (from the credential, no request); Google is reachable through TLS and any proxy
 * and accepts the token for the mailbox — authentication, scope, delegation and the user's Gmail
 * service are checked before the body — by a send request without a message (`{}`), which Gmail
 * refuses as `invalidArgument` without sending anything; with `testMessage`, a real send.
 */
export async function probeGmailApi(
  server: ServerSettings,
  credentials: CredentialSource,
  options: ProbeOptions,
  settings: GmailConnectionSettings,
): Promise<DiagnosticReport> {
  const { run, report } = createProbeSteps(GMAIL_API, LABELS, options);

  const state: { endpoint?: GmailEndpoint; credential?: OAuth2Credential } = {};
  try {
    await run('credential', async () => {
      state.endpoint = createGmailEndpoint(server, settings);
      state.credential = await oauthCredential(credentials, GMAIL_API, options.signal);
      return credentialOutcome(state.credential);
    });
    await run('scopes', async () => {
      const { credential } = state;
      if (!credential) return 'skipped';
      if (credential.scopes.length === 0)
        return { detail: 'The credential names no scopes; Gmail checks them in the next step.' };
      const sendScope = GMAIL_API_SEND_SCOPES.find((s) => credential.scopes.includes(s));
      if (!sendScope) {
        throw new MailplugError({
          code: GmailApiErrorCode.ScopeMissing,
          action: 'admin',
          message: `The Google token for ${credential.user} does not allow sending through the Gmail API (it has: ${credential.scopes.join(' ')}).`,
          hint: `Add ${GMAIL_SEND_SCOPE} to the scopes the account requests and sign in again granting it (for a service account: add it to its domain-wide delegation).`,
          details: { scopes: credential.scopes, routeClosed: true },
        });
      }
      return { detail: `Sends with ${sendScope}`, data: { scopes: credential.scopes } };
    });
    await run('auth', async () => {
      const { credential, endpoint } = state;
      if (!credential || !endpoint) return 'skipped';
      const url = endpoint.sendUrl(credential.user, false);
      const response = await endpoint.post(
        url,
        credential,
        { contentType: 'application/json', data: '{}' },
        options.signal,
      );
      const google = readGoogleError(response);
      if (
        response.status === 400 &&
        google.reason === 'invalidArgument' &&
        /raw/i.test(google.message ?? '')
      ) {
        return {
          detail: `Gmail accepted the token for ${credential.user} and refused the empty send request; nothing was sent.`,
          data: { status: response.status, reason: google.reason, url },
        };
      }
      if (response.status >= 200 && response.status < 300) {
        throw new MailplugError({
          code: GmailApiErrorCode.Failed,
          action: 'admin',
          message: `${endpoint.transport.origin} accepted an empty send request (${response.status}); it does not behave like the Gmail API.`,
          hint: 'Check the server host of the account: gmail.googleapis.com, port 443.',
        });
      }
      throw classifyGmailResponse(response, { mailbox: credential.user, scopes: credential.scopes });
    });
    await run('send', () =>
      sendTestMessage(
        () =>
          connectGmailApi(server, credentials, options.signal ? { signal: options.signal } : {}, settings),
        options,
      ),
    );
  } finally {
    await state.endpoint?.transport.close();
  }
  return report();
}
