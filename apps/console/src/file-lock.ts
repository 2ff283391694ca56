import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { mailplugError } from '@mailplug/core';
import { ConsoleErrorCode } from './console-errors.js';

/**
 * Runs `change` while holding `<path>.lock`, a file created with O_EXCL that names its owner
 * (pid, host, nonce). Every read-modify-write of `config.json` and `secrets.json` runs under it,
 * so two consoles changing the same directory never lose each other's change. A lock whose owner
 * died (same host, pid gone) or that is older than `staleMs` is broken; the critical sections are
 * a read and a rename, so a live lock is never that old.
 */
export async function withFileLock<T>(
  path: string,
  change: () => Promise<T>,
  options: { timeoutMs?: number; staleMs?: number } = {},
): Promise<T> {
  const lockPath = `${path}.lock`;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const staleMs = options.staleMs ?? 60_000;
  const owner = JSON.stringify({ pid: process.pid, host: hostname(), nonce: randomBytes(8).toString('hex') });
  const deadline = Date.now() + timeoutMs;
  let pause = 5;
  while (!(await tryCreate(lockPath, owner))) {
    const seen = await readFile(lockPath, 'utf8').catch(() => undefined);
    if (seen !== undefined && (await isAbandoned(lockPath, seen, staleMs))) {
      await breakLock(lockPath, seen);
      continue;
    }
    if (Date.now() > deadline) {
      throw mailplugError(
        ConsoleErrorCode.FileLocked,
        'retry',
        `Another mailplug-console process has been changing ${path} for over ${Math.round(timeoutMs / 1000)} s.`,
        `Run the command again when the other console has finished; if none is running, delete ${lockPath}.`,
        { details: { path, lockPath } },
      );
    }
    // Jittered and growing, so waiting processes do not poll in lockstep.
    await new Promise((resolve) => setTimeout(resolve, pause / 2 + Math.random() * pause));
    pause = Math.min(pause * 2, 100);
  }
  try {
    return await change();
  } finally {
    // Only our own lock is removed (a stale-lock breaker may have replaced it).
    if ((await readFile(lockPath, 'utf8').catch(() => undefined)) === owner) {
      await unlink(lockPath).catch(() => undefined);
    }
  }
}

/** Creates the lock with its owner already written: a temp file is linked into place (O_EXCL semantics). */
async function tryCreate(lockPath: string, owner: string): Promise<boolean> {
  const temp = `${lockPath}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(owner, 'utf8');
  } finally {
    await handle.close();
  }
  try {
    await link(temp, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function isAbandoned(lockPath: string, content: string, staleMs: number): Promise<boolean> {
  try {
    const { pid, host } = JSON.parse(content) as { pid?: unknown; host?: unknown };
    if (host === hostname() && typeof pid === 'number' && !isAlive(pid)) return true;
  } catch {
    // Not our format: only its age can tell.
  }
  const info = await stat(lockPath).catch(() => undefined);
  return info !== undefined && Date.now() - info.mtimeMs > staleMs;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Moves the abandoned lock aside (rename is atomic: one breaker wins) and checks it moved the
 * lock it judged; if a live owner's lock was moved instead, it is linked back.
 */
async function breakLock(lockPath: string, judged: string): Promise<void> {
  const aside = `${lockPath}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(lockPath, aside);
  } catch {
    return;
  }
  if ((await readFile(aside, 'utf8').catch(() => judged)) !== judged) {
    await link(aside, lockPath).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}
