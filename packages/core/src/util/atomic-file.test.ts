import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileIfExists, writeFileAtomic } from './atomic-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mailplug-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('replaces the file whole, owner-only by default, creating the directory, leaving no temp file', async () => {
    const path = join(dir, 'nested', 'accounts.json');
    await writeFileAtomic(path, 'first');
    await writeFileAtomic(path, new TextEncoder().encode('second'));
    expect(await readFile(path, 'utf8')).toBe('second');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'nested'))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(dir, 'nested'))).toEqual(['accounts.json']);
    await writeFileAtomic(path, 'shared', { mode: 0o644 });
    expect((await stat(path)).mode & 0o777).toBe(0o644);
  });

  it('keeps the old file and removes its temp file when the rename fails', async () => {
    const path = join(dir, 'target');
    await writeFile(join(dir, 'keep'), 'x');
    // A directory in the target's place makes the rename fail.
    await writeFileAtomic(join(path, 'inner'), 'occupied');
    await expect(writeFileAtomic(path, 'new')).rejects.toMatchObject({
      code: expect.stringMatching(/EISDIR|ENOTEMPTY|EEXIST/),
    });
    expect((await readdir(dir)).sort()).toEqual(['keep', 'target']);
  });
});

describe('readFileIfExists', () => {
  it('reads text, gives undefined for a missing file and throws other errors', async () => {
    await writeFile(join(dir, 'a.txt'), 'hello');
    expect(await readFileIfExists(join(dir, 'a.txt'))).toBe('hello');
    expect(await readFileIfExists(join(dir, 'missing.txt'))).toBeUndefined();
    await expect(readFileIfExists(dir)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});
