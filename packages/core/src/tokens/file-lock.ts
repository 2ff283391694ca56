import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { CoreErrorCode, mailplugError } from '../errors/codes.js';

/**
 * Cross-process lock files. A lock is a file created with O_EXCL holding the owner's pid, host,
 * creation time and a random nonce. The owner touches the file's mtime while it holds the lock
 * (heartbeat), so "age" means "time since the owner last proved it is alive", not "time held".
 *
 * A lock is stale when its owner ran on this host and that pid is gone, or when its heartbeat is
 * older than `staleMs` (owner on another host, hung, or pid reused). Stale locks are broken under
 * a second, short-lived "break" lock so that two waiters can never both break and one of them
 * delete the fresh lock the other just created.
 */
export interface FileLockOptions {
  /** How long to wait for the lock before failing with TOKEN_STORE_LOCK_TIMEOUT. */
  readonly timeoutMs: number;
  /** Heartbeat age after which a lock is considered abandoned. */
  readonly staleMs: number;
}

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly createdAt: number;
  readonly nonce: string;
}

type LockInspection =
  | { readonly kind: 'gone' }
  | { readonly kind: 'held'; readonly owner: LockOwner | undefined }
  | { readonly kind: 'stale'; readonly fingerprint: string };

/** A lock file whose content could not be parsed is given this long to be written by its creator. */
const UNWRITTEN_GRACE_MS = 1_000;
/** The break lock is held for a few syscalls only; older than this means its holder died. */
const BREAK_LOCK_STALE_MS = 2_000;
const THIS_HOST = hostname();

/** Acquires `lockPath`, returning an idempotent release function. */
export async function acquireFileLock(
  lockPath: string,
  options: FileLockOptions,
): Promise<() => Promise<void>> {
  const deadline = Date.now() + options.timeoutMs;
  const owner: LockOwner = {
    pid: process.pid,
    host: THIS_HOST,
    createdAt: Date.now(),
    nonce: randomBytes(8).toString('hex'),
  };
  let pause = 2;
  let lastOwner: LockOwner | undefined;
  for (;;) {
    if (await tryCreate(lockPath, owner)) break;
    const inspection = await inspect(lockPath, options.staleMs);
    if (inspection.kind === 'gone') continue;
    if (inspection.kind === 'stale') {
      await breakStaleLock(lockPath, inspection.fingerprint, options.staleMs);
      continue;
    }
    lastOwner = inspection.owner;
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw lockTimeout(lockPath, options.timeoutMs, lastOwner);
    // Jittered, growing pause: waiters in several processes should not poll in lockstep.
    await delay(Math.min(remaining, pause / 2 + Math.random() * pause));
    pause = Math.min(pause * 2, 50);
  }

  const heartbeat = setInterval(
    () => {
      const now = new Date();
      utimes(lockPath, now, now).catch(() => undefined);
    },
    Math.max(10, Math.floor(options.staleMs / 3)),
  );
  heartbeat.unref();

  let released = false;
  return async () => {
    if (released) return;
    released = true;
    clearInterval(heartbeat);
    // Only remove the file if it is still ours: if it was (wrongly) broken as stale, the new
    // holder's lock must survive.
    const current = await readOwner(lockPath);
    if (current?.nonce === owner.nonce) await unlinkIfExists(lockPath);
  };
}

/**
 * O_EXCL create plus content in one synchronous burst: an asynchronous write would leave a window
 * (an event-loop turn) in which a crash leaves an empty lock file that can only be judged by age.
 */
async function tryCreate(lockPath: string, owner: LockOwner): Promise<boolean> {
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

async function inspect(lockPath: string, staleMs: number): Promise<LockInspection> {
  let content: string;
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    [content, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
    throw error;
  }
  const fingerprint = `${info.ino}:${content}`;
  const age = Date.now() - info.mtimeMs;
  const owner = parseOwner(content);
  if (!owner) return age > UNWRITTEN_GRACE_MS ? { kind: 'stale', fingerprint } : { kind: 'held', owner };
  if (owner.host === THIS_HOST && !isProcessAlive(owner.pid)) return { kind: 'stale', fingerprint };
  if (age > staleMs) return { kind: 'stale', fingerprint };
  return { kind: 'held', owner };
}

async function breakStaleLock(lockPath: string, fingerprint: string, staleMs: number): Promise<void> {
  const breakPath = `${lockPath}.break`;
  const breaker: LockOwner = {
    pid: process.pid,
    host: THIS_HOST,
    createdAt: Date.now(),
    nonce: randomBytes(8).toString('hex'),
  };
  if (!(await tryCreate(breakPath, breaker))) {
    // Someone else is breaking it; if that someone died mid-break, clear their break lock.
    const other = await inspect(breakPath, BREAK_LOCK_STALE_MS);
    if (other.kind === 'stale') await unlinkIfExists(breakPath);
    else await delay(1 + Math.random() * 3);
    return;
  }
  try {
    // Re-check under the break lock: only delete the exact lock file we judged stale.
    const again = await inspect(lockPath, staleMs);
    if (again.kind === 'stale' && again.fingerprint === fingerprint) await unlinkIfExists(lockPath);
  } finally {
    await unlinkIfExists(breakPath);
  }
}

async function readOwner(lockPath: string): Promise<LockOwner | undefined> {
  try {
    return parseOwner(await readFile(lockPath, 'utf8'));
  } catch {
    return undefined;
  }
}

function parseOwner(content: string): LockOwner | undefined {
  try {
    const value = JSON.parse(content) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.nonce === 'string' && typeof value.host === 'string') {
      return value as LockOwner;
    }
  } catch {
    // An empty or half-written lock file: the caller applies the short grace period.
  }
  return undefined;
}

/** `kill(pid, 0)` probes without signalling; EPERM means the process exists but is not ours. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function unlinkIfExists(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function lockTimeout(lockPath: string, timeoutMs: number, owner: LockOwner | undefined) {
  const holder = owner ? ` (held by process ${owner.pid} on ${owner.host})` : '';
  return mailplugError(
    CoreErrorCode.TokenStoreLockTimeout,
    'retry',
    `Timed out after ${timeoutMs} ms waiting for the token store lock ${lockPath}${holder}.`,
    `Try again; if no Mailplug process is running, delete ${lockPath}.`,
    { details: { lockPath, timeoutMs, ...(owner ? { ownerPid: owner.pid, ownerHost: owner.host } : {}) } },
  );
}
