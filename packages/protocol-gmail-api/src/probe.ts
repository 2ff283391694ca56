import {
  type CredentialSource,
  type DiagnosticReport,
  MailplugError,
  type OAuth2Credential,
  type ProbeOptions,
  type ServerSettings,
} from '@mailplug/core';
import { type ProbeStepOutcome, probeHttpSend } from '@mailplug/http-send';
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
export function probeGmailApi(
  server: ServerSettings,
  credentials: CredentialSource,
  options: ProbeOptions,
  settings: GmailConnectionSettings,
): Promise<DiagnosticReport> {
  return probeHttpSend<GmailEndpoint>({
    api: GMAIL_API,
    labels: LABELS,
    credentials,
    options,
    open: () => createGmailEndpoint(server, settings),
    checks: [
      { id: 'scopes', run: async (_endpoint, credential) => checkScopes(credential) },
      { id: 'auth', run: checkAuthorization },
    ],
    connect: (connectOptions) => connectGmailApi(server, credentials, connectOptions, settings),
  });
}

/** The credential's scopes allow sending through the Gmail API: read from the credential, no request. */
function checkScopes(credential: OAuth2Credential): ProbeStepOutcome {
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
}

/**
 * Gmail accepts the token for the mailbox: a send request without a message passes Google's
 * authentication, scope, delegation and Gmail service checks, and is refused as `invalidArgument`.
 */
async function checkAuthorization(
  endpoint: GmailEndpoint,
  credential: OAuth2Credential,
  signal: AbortSignal | undefined,
): Promise<ProbeStepOutcome> {
  const url = endpoint.sendUrl(credential.user, false);
  const response = await endpoint.post(
    url,
    credential,
    { contentType: 'application/json', data: '{}' },
    signal,
  );
  const google = readGoogleError(response);
  if (response.status === 400 && google.reason === 'invalidArgument' && /raw/i.test(google.message ?? '')) {
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
}
