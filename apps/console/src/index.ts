/**
 * @mailplug/console — the sample Mailplug host. The CLI (`mailplug-console`, dist/cli.js) is the
 * product; this entry exposes the same pieces for embedding and tests.
 */

export type { CommandContext, CommandSpec } from './command.js';
export { type ConfigStore, type ConsoleConfig, type ConsoleUser, createConfigStore } from './config-store.js';
export { ExitCode, exitCodeFor, UsageError } from './exit-codes.js';
export { type ConsoleHost, type ConsoleHostOptions, createConsoleHost, TOKEN_KEY_ENV } from './host.js';
export type { ConsoleIo } from './output.js';
export { CONFIG_DIR_ENV, consoleFiles, resolveConfigDir } from './paths.js';
export { COMMANDS, runConsole } from './run-console.js';
export { type ConsoleSecretStore, createConsoleSecretStore } from './secret-file.js';
