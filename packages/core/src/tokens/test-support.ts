// Test helpers shared by the token tests (not exported from the package entry).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { isMailplugError, type MailplugError } from '../spec/v1/mailplug-error.js';

/** Awaits `promise` and returns the MailplugError it rejected with; fails if it resolved or threw something else. */
export async function caught(promise: Promise<unknown>): Promise<MailplugError> {
  try {
    await promise;
  } catch (error) {
    if (isMailplugError(error)) return error;
    throw error;
  }
  throw new Error('expected a MailplugError');
}

/**
 * Registers an `afterAll` that removes every directory made by the returned function, which makes
 * a fresh temp directory named after `prefix`.
 */
export function tempDirsRemovedAfterAll(prefix: string): () => Promise<string> {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}
