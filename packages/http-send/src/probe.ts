import { performance } from 'node:perf_hooks';
import {
  type ConnectOptions,
  type CredentialSource,
  type DiagnosticReport,
  type DiagnosticStep,
  type DiagnosticStepId,
  isMailplugError,
  MailplugError,
  type OAuth2Credential,
  type ProbeOptions,
  type SendConnection,
} from '@mailplug/core';
import type { HttpSendApi } from './http-send-api.js';
import { oauthCredential } from './send-connection.js';
import type { HttpTransport } from './transport.js';

/** What a step that passed reports. */
export interface ProbeStepOutcome {
  readonly detail?: string;
  readonly data?: Record<string, unknown>;
}

/** "Test connection" as steps in order: the first that throws fails, every later one is skipped. */
export interface ProbeSteps {
  /** Runs (or skips) one step and reports it through `onStep`; never throws. */
  run(id: DiagnosticStepId, body: () => Promise<ProbeStepOutcome | 'skipped'>): Promise<void>;
  /** The steps so far; `ok` unless one failed. */
  report(): DiagnosticReport;
}

function toError(error: unknown, api: HttpSendApi): MailplugError {
  if (isMailplugError(error)) return error;
  return new MailplugError({
    code: api.codes.failed,
    action: 'retry',
    message: `The probe failed: ${error instanceof Error ? error.message : String(error)}`,
    hint: 'Run "Test connection" again; if it repeats, report it with this message.',
    cause: error,
  });
}

/**
 * The step runner of a probe: times each step, turns a thrown error into a failed step with the
 * classified error, and reports every step through `options.onStep`.
 */
export function createProbeSteps(
  api: HttpSendApi,
  labels: Readonly<Record<string, string>>,
  options: ProbeOptions,
): ProbeSteps {
  const steps: DiagnosticStep[] = [];
  let failed = false;
  const emit = (step: DiagnosticStep) => {
    steps.push(step);
    options.onStep?.(step);
  };
  return {
    async run(id, body) {
      const label = labels[id] ?? id;
      if (failed) {
        emit({ id, label, status: 'skipped', durationMs: 0 });
        return;
      }
      const started = performance.now();
      try {
        const outcome = await body();
        const durationMs = Math.round(performance.now() - started);
        emit(
          outcome === 'skipped'
            ? { id, label, status: 'skipped', durationMs }
            : {
                id,
                label,
                status: 'ok',
                durationMs,
                ...(outcome.detail ? { detail: outcome.detail } : {}),
                ...(outcome.data ? { data: outcome.data } : {}),
              },
        );
      } catch (error) {
        failed = true;
        const classified = toError(error, api);
        emit({
          id,
          label,
          status: 'failed',
          durationMs: Math.round(performance.now() - started),
          detail: classified.message,
          error: classified.toJSON(),
        });
      }
    },
    report() {
      return { ok: steps.every((s) => s.status !== 'failed'), steps: [...steps] };
    },
  };
}

/** The outcome of the `credential` step: whose token, until when. */
function credentialOutcome(credential: OAuth2Credential): ProbeStepOutcome {
  return {
    detail: `OAuth 2.0 token for ${credential.user}, expires ${new Date(credential.expiresAt).toISOString()}`,
    data: { mailbox: credential.user, expiresAt: credential.expiresAt },
  };
}

/**
 * The `send` step: with `options.testMessage`, a real send over a connection opened for it (and
 * closed after); without, skipped.
 */
async function sendTestMessage(
  connect: (options: ConnectOptions) => Promise<SendConnection>,
  options: ProbeOptions,
): Promise<ProbeStepOutcome | 'skipped'> {
  if (!options.testMessage) return 'skipped';
  const connection = await connect(options.signal ? { signal: options.signal } : {});
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
}

/** One of the protocol's own probe steps, run with the endpoint, the credential and the probe's signal. */
export interface HttpProbeCheck<Endpoint> {
  readonly id: DiagnosticStepId;
  run(
    endpoint: Endpoint,
    credential: OAuth2Credential,
    signal: AbortSignal | undefined,
  ): Promise<ProbeStepOutcome>;
}

export interface HttpProbeInit<Endpoint extends { readonly transport: HttpTransport }> {
  readonly api: HttpSendApi;
  /** What hosts show for each step id. */
  readonly labels: Readonly<Record<string, string>>;
  readonly credentials: CredentialSource;
  readonly options: ProbeOptions;
  /** Opens the protocol's endpoint; its transport is closed when the probe ends. */
  open(): Endpoint;
  /** The protocol's own steps, in order, between `credential` and `send`. */
  readonly checks: readonly HttpProbeCheck<Endpoint>[];
  /** A connection for `options.testMessage`, under the probe's signal. */
  connect(options: ConnectOptions): Promise<SendConnection>;
}

/**
 * "Test connection" for an HTTP send API, as steps: `credential` (a token for the API's protocol
 * id), the protocol's own `checks`, then `send` (a real message, only with `options.testMessage`).
 * The first step that fails fails with its classified error; every later one is skipped.
 *
 * @example
 * return probeHttpSend({
 *   api: ACME_API, labels, credentials, options,
 *   open: () => createAcmeEndpoint(server),
 *   checks: [{ id: 'auth', run: (endpoint, credential) => checkToken(endpoint, credential) }],
 *   connect: (connectOptions) => connectAcme(server, credentials, connectOptions),
 * });
 */
export async function probeHttpSend<Endpoint extends { readonly transport: HttpTransport }>(
  init: HttpProbeInit<Endpoint>,
): Promise<DiagnosticReport> {
  const { api, options } = init;
  const steps = createProbeSteps(api, init.labels, options);
  let endpoint: Endpoint | undefined;
  let credential: OAuth2Credential | undefined;
  try {
    await steps.run('credential', async () => {
      endpoint = init.open();
      credential = await oauthCredential(init.credentials, api, options.signal);
      return credentialOutcome(credential);
    });
    for (const check of init.checks) {
      await steps.run(check.id, async () =>
        endpoint && credential ? check.run(endpoint, credential, options.signal) : 'skipped',
      );
    }
    await steps.run('send', () => sendTestMessage(init.connect, options));
  } finally {
    await endpoint?.transport.close();
  }
  return steps.report();
}
