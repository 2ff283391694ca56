import { redact, redactValue } from './redact.js';

/** Who must act on an error. */
export type ErrorAction =
  /** The mailbox user signs in again / fixes their password. */
  | 'user'
  /** An admin fixes configuration (tenant, app registration, server settings). */
  | 'admin'
  /** Transient: try again later; never a credential problem. */
  | 'retry'
  /** A bug or misuse in the host's code. */
  | 'developer';

export interface MailplugErrorOptions {
  readonly code: string;
  readonly action: ErrorAction;
  readonly message: string;
  /** One sentence that names the fix. */
  readonly hint: string;
  readonly cause?: unknown;
  /** Structured, non-secret facts (AADSTS number, SMTP status, field path...). */
  readonly details?: Readonly<Record<string, unknown>>;
  /** For `retry`: how long the server asked us to wait. */
  readonly retryAfterMs?: number;
}

export interface MailplugErrorJSON {
  readonly name: 'MailplugError';
  readonly code: string;
  readonly action: ErrorAction;
  readonly message: string;
  readonly hint: string;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly retryAfterMs?: number;
  readonly cause?: string;
}

/**
 * The one error type Mailplug throws. `code` is stable and safe to switch on; message, hint and
 * details are redacted at construction, so a secret that leaks into an upstream error text is
 * never shown, logged or serialised.
 *
 * @example
 * try { await mailer.send(req) } catch (e) {
 *   if (isMailplugError(e) && e.action === 'user') showSignInAgain(e.hint);
 * }
 */
export class MailplugError extends Error {
  override readonly name = 'MailplugError';
  readonly code: string;
  readonly action: ErrorAction;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly retryAfterMs: number | undefined;
  readonly #hint: string;

  constructor(options: MailplugErrorOptions) {
    super(
      redact(options.message),
      options.cause === undefined ? undefined : { cause: sanitizeCause(options.cause) },
    );
    this.code = options.code;
    this.action = options.action;
    this.#hint = redact(options.hint);
    this.details = options.details ? (redactValue(options.details) as Record<string, unknown>) : undefined;
    this.retryAfterMs = options.retryAfterMs;
    // Redacted again whenever read: a secret registered after this error was built (a token that
    // arrived in the same response) is still masked when the error is shown or logged.
    const message = this.message;
    const stack = this.stack === undefined ? undefined : redact(this.stack);
    Object.defineProperty(this, 'message', {
      get: () => redact(message),
      enumerable: false,
      configurable: true,
    });
    Object.defineProperty(this, 'stack', {
      get: () => (stack === undefined ? undefined : redact(stack)),
      set: () => {},
      enumerable: false,
      configurable: true,
    });
  }

  /** One sentence naming the fix. */
  get hint(): string {
    return redact(this.#hint);
  }

  override toString(): string {
    return `MailplugError [${this.code}]: ${this.message} — ${this.hint}`;
  }

  toJSON(): MailplugErrorJSON {
    return {
      name: 'MailplugError',
      code: this.code,
      action: this.action,
      message: this.message,
      hint: this.hint,
      ...(this.details ? { details: redactValue(this.details) as Record<string, unknown> } : {}),
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
      ...(this.cause !== undefined ? { cause: describeCause(this.cause) } : {}),
    };
  }

  /** `util.inspect` and test runners: code, action, hint and the cause chain, all redacted. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const lines = [`${this.toString()}`, `  action: ${this.action}`];
    if (this.details) lines.push(`  details: ${redact(JSON.stringify(this.details))}`);
    let cause: unknown = this.cause;
    for (let depth = 0; cause !== undefined && depth < 5; depth++) {
      lines.push(`  cause: ${describeCause(cause)}`);
      cause = cause instanceof Error ? cause.cause : undefined;
    }
    const stack = this.stack?.split('\n').slice(1).join('\n');
    return stack ? `${lines.join('\n')}\n${stack}` : lines.join('\n');
  }
}

export function isMailplugError(value: unknown): value is MailplugError {
  return value instanceof MailplugError || (value instanceof Error && value.name === 'MailplugError');
}

/** Library errors (msal, gaxios, nodemailer) carry request bodies and headers; keep only safe text. */
function sanitizeCause(cause: unknown): unknown {
  if (cause instanceof MailplugError) return cause;
  if (cause instanceof Error) {
    const safe = new Error(redact(cause.message));
    safe.name = cause.name;
    if (cause.stack) safe.stack = redact(cause.stack);
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' || typeof code === 'number') (safe as { code?: unknown }).code = code;
    return safe;
  }
  if (typeof cause === 'string') return redact(cause);
  return redactValue(cause);
}

function describeCause(cause: unknown): string {
  if (cause instanceof MailplugError) return cause.toString();
  if (cause instanceof Error) return redact(`${cause.name}: ${cause.message}`);
  if (cause && typeof cause === 'object') {
    try {
      return redact(JSON.stringify(cause));
    } catch {
      return '[unserialisable cause]';
    }
  }
  return redact(String(cause));
}
