import { redact, redactValue } from '../spec/v1/redact.js';
import type { Logger } from '../spec/v1/stores.js';

/** A logger that drops everything; the default when a host passes none. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * Wraps a host logger so that every message and field is redacted before it leaves Mailplug.
 * All Mailplug packages log only through this wrapper.
 *
 * @example
 * const logger = createRedactingLogger(console);
 */
export function createRedactingLogger(inner: Partial<Logger> | undefined): Logger {
  const emit =
    (level: keyof Logger) =>
    (message: string, fields?: Record<string, unknown>): void => {
      const fn = inner?.[level];
      if (!fn) return;
      if (fields === undefined) fn.call(inner, redact(message));
      else fn.call(inner, redact(message), redactValue(fields) as Record<string, unknown>);
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
