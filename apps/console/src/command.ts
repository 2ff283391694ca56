import type { ParseArgsConfig } from 'node:util';
import type { ConsoleHost } from './console-host.js';
import type { ConsoleIo } from './output.js';

export type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** What a command receives. */
export interface CommandContext {
  readonly io: ConsoleIo;
  /** `--json`: machine-readable output on stdout, nothing else there. */
  readonly json: boolean;
  readonly positionals: readonly string[];
  readonly values: OptionValues;
  readonly configDir: string;
  /** The composed host (registry, stores, mailer); created on first call. */
  host(): ConsoleHost;
  /** Human output on stdout; suppressed with `--json`. */
  print(text: string): void;
  /** Progress for long steps, on stderr so stdout stays parseable. */
  progress(text: string): void;
  /**
   * A one-line status display on stderr: redrawn in place on a terminal, written as a new line
   * (only when it changed) otherwise. `undefined` clears it, before other output.
   */
  status(text: string | undefined): void;
  /** The command's result: JSON with `--json`, otherwise ignored (the command printed it). */
  emit(value: unknown): void;
}

export interface CommandSpec {
  /** `accounts add`, `send`, ... */
  readonly name: string;
  readonly summary: string;
  /** Positional arguments, e.g. `<account>`. */
  readonly args?: string;
  readonly options?: OptionSpecs;
  readonly optionHelp?: readonly (readonly [string, string])[];
  readonly examples?: readonly string[];
  run(ctx: CommandContext): Promise<number | undefined>;
}

/** Reads a string option that must be present. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

export function listOption(values: OptionValues, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}
