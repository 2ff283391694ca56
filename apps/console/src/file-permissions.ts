import { stat } from 'node:fs/promises';
import { mailplugError } from '@mailplug/core';
import { ConsoleErrorCode } from './console-errors.js';

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(3, '0');

/**
 * Refuses a configuration directory other users may write to (they could swap `secrets.json`
 * or the token key underneath the console). A missing directory is fine: it is created 0700.
 */
export async function assertPrivateDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info || process.platform === 'win32') return;
  if ((info.mode & 0o022) !== 0) {
    throw mailplugError(
      ConsoleErrorCode.FileUnsafe,
      'admin',
      `The configuration directory ${dir} is writable by other users (mode ${octal(info.mode)}).`,
      `Run "chmod 700 ${dir}" and try again.`,
      { details: { path: dir, mode: octal(info.mode) } },
    );
  }
}

/** Refuses a secret-bearing file (token key, secrets.json) that group or others may read or write. */
export async function assertPrivateFile(path: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info || process.platform === 'win32') return;
  if ((info.mode & 0o077) !== 0) {
    throw mailplugError(
      ConsoleErrorCode.FileUnsafe,
      'admin',
      `${path} holds secrets but is open to other users (mode ${octal(info.mode)}).`,
      `Run "chmod 600 ${path}" (and rotate the secrets in it if other users may have read them), then try again.`,
      { details: { path, mode: octal(info.mode) } },
    );
  }
}
