import { performance } from 'node:perf_hooks';
import {
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
 * The step runner of an HTTP send protocol's probe: times each step, turns a thrown error into a
 * failed step with the classified error, and reports every step through `options.onStep`.
 *
 * @example
 * const steps = createProbeSteps(GRAPH_API, { credential: 'Access token' }, options);
 * await steps.run('credential', async () => credentialOutcome(await oauthCredential(source, GRAPH_API, signal)));
 * return steps.report();
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
export function credentialOutcome(credential: OAuth2Credential): ProbeStepOutcome {
  return {
    detail: `OAuth 2.0 token for ${credential.user}, expires ${new Date(credential.expiresAt).toISOString()}`,
    data: { mailbox: credential.user, expiresAt: credential.expiresAt },
  };
}

/**
 * The `send` step: with `options.testMessage`, a real send over a connection opened for it (and
 * closed after); without, skipped.
 */
export async function sendTestMessage(
  connect: () => Promise<SendConnection>,
  options: ProbeOptions,
): Promise<ProbeStepOutcome | 'skipped'> {
  if (!options.testMessage) return 'skipped';
  const connection = await connect();
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
