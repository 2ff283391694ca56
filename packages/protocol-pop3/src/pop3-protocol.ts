import {
  type ActivationContext,
  type CredentialSource,
  type DiagnosticReport,
  type DiagnosticStep,
  type DiagnosticStepId,
  emitDeprecationOnce,
  isMailplugError,
  MailplugError,
  type ProbeOptions,
  type ReceiveProtocol,
  readAdapterManifest,
  type ServerSettings,
} from '@mailplug/core';
import packageJson from '../package.json';
import type { Pop3Limits } from './parser.js';
import { openPop3Session, type PasswordMechanism, type Pop3Connection, type Pop3Stage } from './session.js';

// package.json's `mailplug` manifest is the single source of id, label, ports and the deprecation.
const contribution = readAdapterManifest(packageJson).protocol('pop3');

export const POP3_DEPRECATION = contribution.deprecated ?? {
  since: '0.1.0',
  message: 'POP3 receive is deprecated in Mailplug; move accounts to IMAP (@mailplug/protocol-imap).',
};

export const POP3_DEPRECATION_CODE = 'MAILPLUG_POP3_DEPRECATED';

export interface Pop3ProtocolOptions {
  /** `auto` (default) uses AUTH PLAIN when advertised, else USER/PASS. */
  readonly passwordMechanism?: PasswordMechanism;
  /** Do not emit the once-per-process DeprecationWarning (or set MAILPLUG_SILENCE_DEPRECATION=1). */
  readonly silenceDeprecation?: boolean;
  /** Parser bounds against hostile servers. */
  readonly limits?: Partial<Pop3Limits>;
}

/** The POP3 ReceiveProtocol with the POP3-specific connection type. */
export interface Pop3Protocol extends ReceiveProtocol {
  connect(
    server: ServerSettings,
    credentials: CredentialSource,
    options?: { signal?: AbortSignal },
  ): Promise<Pop3Connection>;
}

/**
 * Creates the POP3 receive protocol: RFC 1939 with CAPA, STLS, AUTH PLAIN and Microsoft-style
 * AUTH XOAUTH2.
 *
 * @deprecated POP3 receive is deprecated; prefer IMAP. It keeps working, and the first connect
 * per process emits one `DeprecationWarning` (code `MAILPLUG_POP3_DEPRECATED`).
 *
 * @example
 * const pop3 = createPop3Protocol({ silenceDeprecation: true });
 * const connection = await pop3.connect({ host: 'outlook.office365.com', port: 995, security: 'tls' }, session);
 * for (const { id } of await connection.list()) await save(id, await connection.fetch(id));
 * await connection.close();
 */
export function createPop3Protocol(options: Pop3ProtocolOptions = {}): Pop3Protocol {
  const sessionOptions = {
    ...(options.passwordMechanism ? { passwordMechanism: options.passwordMechanism } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  };
  return {
    specificationVersion: 'v1',
    id: contribution.id,
    label: contribution.label,
    direction: 'receive',
    deprecated: POP3_DEPRECATION,
    defaultPorts: contribution.defaultPorts,
    connect(server, credentials, connectOptions) {
      emitDeprecationOnce({
        code: POP3_DEPRECATION_CODE,
        message: POP3_DEPRECATION.message,
        ...(options.silenceDeprecation ? { silence: true } : {}),
      });
      return openPop3Session(server, credentials, {
        ...sessionOptions,
        ...(connectOptions?.signal ? { signal: connectOptions.signal } : {}),
      });
    },
    probe: (server, credentials, probeOptions) =>
      probePop3(server, credentials, sessionOptions, probeOptions),
  };
}

const STAGE_LABELS: Record<Pop3Stage, string> = {
  tcp: 'Connect',
  tls: 'TLS handshake',
  greeting: 'Server greeting',
  capabilities: 'Capabilities (CAPA)',
  starttls: 'Upgrade to TLS (STLS)',
  credential: 'Obtain credential',
  auth: 'Sign in',
};

/** Staged "Test connection": never throws for a server problem; the failing stage carries the error. */
async function probePop3(
  server: ServerSettings,
  credentials: CredentialSource,
  sessionOptions: { passwordMechanism?: PasswordMechanism; limits?: Partial<Pop3Limits> },
  options: ProbeOptions = {},
): Promise<DiagnosticReport> {
  const steps: DiagnosticStep[] = [];
  let started = performance.now();
  const push = (step: DiagnosticStep) => {
    steps.push(step);
    options.onStep?.(step);
  };
  const order: Pop3Stage[] = ['tcp', 'tls', 'greeting', 'capabilities', 'starttls', 'credential', 'auth'];
  try {
    const connection = await openPop3Session(server, credentials, {
      ...sessionOptions,
      ...(options.signal ? { signal: options.signal } : {}),
      onStage(stage, data) {
        push({
          id: stage as DiagnosticStepId,
          label: STAGE_LABELS[stage],
          status: 'ok',
          durationMs: Math.round(performance.now() - started),
          ...(data ? { data } : {}),
        });
        started = performance.now();
      },
    });
    await connection.close();
    return { ok: true, steps };
  } catch (error) {
    const done = new Set(steps.map((s) => s.id));
    const failed =
      order.find(
        (s) =>
          !done.has(s) &&
          (s !== 'tls' || server.security === 'tls') &&
          (s !== 'starttls' || server.security === 'starttls'),
      ) ?? 'auth';
    const mailplug = isMailplugError(error)
      ? error
      : new MailplugError({
          code: 'POP3_PROBE_FAILED',
          action: 'developer',
          message: 'POP3 probe failed unexpectedly',
          hint: 'Report this with the probe steps attached.',
          cause: error,
        });
    push({
      id: failed,
      label: STAGE_LABELS[failed],
      status: 'failed',
      durationMs: Math.round(performance.now() - started),
      error: mailplug.toJSON(),
    });
    return { ok: false, steps };
  }
}

/**
 * The default POP3 protocol instance.
 *
 * @deprecated POP3 receive is deprecated; prefer IMAP.
 */
export const pop3: Pop3Protocol = createPop3Protocol();

/** Registry entry point (see the `mailplug` key in package.json). */
export function activate(context: ActivationContext): void {
  context.subscriptions.push(context.registerProtocol(createPop3Protocol()));
}
