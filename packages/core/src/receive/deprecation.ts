import { processWide } from '../spec/v1/process-wide.js';

/**
 * Once-per-process deprecation warnings for the deprecated receive protocols (POP3, IMAP).
 * The set of warned codes lives on `globalThis` so that the ESM and CJS builds of core, loaded
 * side by side, still warn only once.
 */

/** Environment variable a host sets to `1` to silence every Mailplug deprecation warning. */
export const SILENCE_DEPRECATION_ENV = 'MAILPLUG_SILENCE_DEPRECATION';

export interface DeprecationWarningOptions {
  /** Stable warning code, e.g. `MAILPLUG_POP3_DEPRECATED`. */
  readonly code: string;
  readonly message: string;
  /** Host opt-out (a factory option); the env variable works as well. */
  readonly silence?: boolean;
}

function warnedCodes(): Set<string> {
  return processWide('deprecationsWarned.v1', () => new Set<string>());
}

/**
 * Emits `process.emitWarning(message, { type: 'DeprecationWarning', code })` the first time a code
 * is seen in this process; later calls, silenced calls and `MAILPLUG_SILENCE_DEPRECATION=1` do
 * nothing. Returns whether a warning was emitted.
 *
 * @example
 * emitDeprecationOnce({ code: 'MAILPLUG_POP3_DEPRECATED', message: 'POP3 is deprecated; use IMAP.' });
 */
export function emitDeprecationOnce(options: DeprecationWarningOptions): boolean {
  if (options.silence) return false;
  if (process.env[SILENCE_DEPRECATION_ENV] === '1') return false;
  const warned = warnedCodes();
  if (warned.has(options.code)) return false;
  warned.add(options.code);
  process.emitWarning(options.message, { type: 'DeprecationWarning', code: options.code });
  return true;
}
