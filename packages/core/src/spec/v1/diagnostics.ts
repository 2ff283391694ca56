import type { MailplugErrorJSON } from './mailplug-error.js';

/** Stages of a "Test connection" run, in the order a host shows them. */
export type DiagnosticStepId =
  | 'dns'
  | 'tcp'
  | 'tls'
  | 'greeting'
  | 'capabilities'
  | 'starttls'
  | 'credential'
  | 'auth'
  | 'send'
  | (string & {});

export type DiagnosticStatus = 'ok' | 'failed' | 'skipped';

export interface DiagnosticStep {
  readonly id: DiagnosticStepId;
  readonly label: string;
  readonly status: DiagnosticStatus;
  readonly durationMs: number;
  /** One line a host can show next to the step, e.g. "TLSv1.3, CN=smtp.example.com, expires 2027-01-01". */
  readonly detail?: string;
  /** Structured facts (addresses, capabilities, certificate fields). Never secrets. */
  readonly data?: Readonly<Record<string, unknown>>;
  /** Present when `status` is `failed`: code, who acts, and the hint. */
  readonly error?: MailplugErrorJSON;
}

export interface DiagnosticReport {
  readonly ok: boolean;
  readonly steps: readonly DiagnosticStep[];
  /**
   * Set by the mailer for an account with a fallback route: every route probed, and one sentence
   * saying which one delivers (e.g. "SMTP AUTH is off for this mailbox; sending through Microsoft Graph.").
   */
  readonly routes?: readonly RouteReport[];
  readonly summary?: string;
}

export interface RouteReport {
  readonly protocol: string;
  readonly label: string;
  readonly ok: boolean;
  /** The route is switched off for this mailbox (not a transient failure). */
  readonly closed: boolean;
  readonly steps: readonly DiagnosticStep[];
}

export interface ProbeOptions {
  /** Called as each step finishes, so a host can render a live checklist. */
  readonly onStep?: (step: DiagnosticStep) => void;
  /** Send a test message as the last step. */
  readonly testMessage?: import('./message.js').OutgoingMessage;
  readonly signal?: AbortSignal;
}
