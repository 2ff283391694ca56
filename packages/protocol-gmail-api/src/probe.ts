import { performance } from 'node:perf_hooks';
import {
  type CredentialSource,
  type DiagnosticReport,
  type DiagnosticStep,
  type DiagnosticStepId,
  isMailplugError,
  MailplugError,
  type OAuth2Credential,
  type ProbeOptions,
  type ServerSettings,
} from '@mailplug/core';
import {
  connectGmailApi,
  createGmailEndpoint,
  type GmailConnectionSettings,
  type GmailEndpoint,
  gmailCredential,
} from './gmail-connection.js';
import {
  classifyGmailResponse,
  GMAIL_API_SEND_SCOPES,
  GMAIL_SEND_SCOPE,
  GmailApiErrorCode,
  readGoogleError,
} from './gmail-errors.js';

interface StepOutcome {
  readonly detail?: string;
  readonly data?: Record<string, unknown>;
}

const LABELS: Record<string, string> = {
  credential: 'Access token',
  scopes: 'Token scopes',
  auth: 'Gmail accepts the token for the mailbox',
  send: 'Send test message',
};

function toError(error: unknown): MailplugError {
  if (isMailplugError(error)) return error;
  return new MailplugError({
    code: GmailApiErrorCode.Failed,
    action: 'retry',
    message: `The probe failed: ${error instanceof Error ? error.message : String(error)}`,
    hint: 'Run "Test connection" again; if it repeats, report it with this message.',
    cause: error,
  });
}

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
  const steps: DiagnosticStep[] = [];
  let failed = false;
  const run = async (id: DiagnosticStepId, body: () => Promise<StepOutcome | 'skipped'>) => {
    const label = LABELS[id] ?? id;
    if (failed) {
      const step: DiagnosticStep = { id, label, status: 'skipped', durationMs: 0 };
      steps.push(step);
      options.onStep?.(step);
      return;
    }
    const started = performance.now();
    let step: DiagnosticStep;
    try {
      const outcome = await body();
      const durationMs = Math.round(performance.now() - started);
      step =
        outcome === 'skipped'
          ? { id, label, status: 'skipped', durationMs }
          : {
              id,
              label,
              status: 'ok',
              durationMs,
              ...(outcome.detail ? { detail: outcome.detail } : {}),
              ...(outcome.data ? { data: outcome.data } : {}),
            };
    } catch (error) {
      failed = true;
      const classified = toError(error);
      step = {
        id,
        label,
        status: 'failed',
        durationMs: Math.round(performance.now() - started),
        detail: classified.message,
        error: classified.toJSON(),
      };
    }
    steps.push(step);
    options.onStep?.(step);
  };

  const state: { endpoint?: GmailEndpoint; credential?: OAuth2Credential } = {};
  try {
    await run('credential', async () => {
      state.endpoint = createGmailEndpoint(server, settings);
      const credential = await gmailCredential(credentials, options.signal);
      state.credential = credential;
      return {
        detail: `OAuth 2.0 token for ${credential.user}, expires ${new Date(credential.expiresAt).toISOString()}`,
        data: { mailbox: credential.user, expiresAt: credential.expiresAt },
      };
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
    await run('send', async () => {
      if (!options.testMessage) return 'skipped';
      const connection = await connectGmailApi(
        server,
        credentials,
        options.signal ? { signal: options.signal } : {},
        settings,
      );
      try {
        const result = await connection.send(
          options.testMessage,
          options.signal ? { signal: options.signal } : {},
        );
        return {
          detail: `Accepted for ${result.accepted.join(', ')} — ${result.response ?? ''}`.trim(),
          data: { messageId: result.messageId, accepted: result.accepted },
        };
      } finally {
        await connection.close();
      }
    });
  } finally {
    await state.endpoint?.transport.close();
  }
  return { ok: steps.every((s) => s.status !== 'failed'), steps };
}
