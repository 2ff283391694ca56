/**
 * Files a host keeps (account records, secrets, the encrypted token file) are replaced whole: a
 * temp file beside the target is written, flushed and renamed over it, then the directory is
 * flushed, so a crash leaves the old file or the new one — never half of one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface WriteFileAtomicOptions {
  /** Mode of the new file. Default 0600 (owner only). */
  readonly mode?: number | undefined;
}

/**
 * Replaces `path` with `content` atomically. The temp file is `<path>.<pid>-<hex>.tmp` (mode as
 * asked, created exclusively); a missing directory is created with mode 0700.
 *
 * @example
 * await writeFileAtomic('/var/lib/host/accounts.json', JSON.stringify(records));
 */
export async function writeFileAtomic(
  path: string,
  content: string | Uint8Array,
  options: WriteFileAtomicOptions = {},
): Promise<void> {
  const directory = dirname(path);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', options.mode ?? 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(directory);
}

/** A text file's content, or `undefined` when it does not exist (other errors are thrown). */
export async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Makes a rename durable; a no-op on platforms without directory fsync. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch {
    // EISDIR / EPERM / EINVAL on platforms without directory fsync.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
