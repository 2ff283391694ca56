/**
 * Child process used by the encrypted file store tests (bundled with esbuild by
 * build-store-child.ts, run with plain `node`). Modes:
 *   crash-writer <path> <key> <startSeq>   write crashState(seq) forever, print "ack <seq>" after each
 *   writer <path> <key> <prefix> <count>   set <prefix>:<i> = i for i < count
 *   locked-increment <path> <key> <count>  count times: withLock('counter') { counter += 1 } via get/set
 */
import { createEncryptedFileTokenStore } from '../../src/tokens/encrypted-file-store.js';
import { crashState } from './crash-state.js';

const [mode, path, key, ...rest] = process.argv.slice(2);
if (!mode || !path || !key) throw new Error('usage: store-child <mode> <path> <key> ...');
const store = createEncryptedFileTokenStore({ path, key, lockTimeoutMs: 20_000 });

async function main(): Promise<void> {
  if (mode === 'crash-writer') {
    let seq = Number(rest[0]);
    process.stdout.write('ready\n');
    for (;;) {
      await store.set('state', crashState(seq));
      // stdout to a pipe is synchronous on Linux: once this returns the parent can read the ack.
      process.stdout.write(`ack ${seq}\n`);
      seq++;
    }
  }
  if (mode === 'writer') {
    const [prefix, count] = rest;
    for (let i = 0; i < Number(count); i++) await store.set(`${prefix}:${i}`, i);
    return;
  }
  if (mode === 'locked-increment') {
    for (let i = 0; i < Number(rest[0]); i++) {
      await store.withLock('counter', async () => {
        const value = (await store.get('counter')) as number | undefined;
        // Yield between read and write so a missing lock would lose increments.
        await new Promise((resolve) => setTimeout(resolve, 1));
        await store.set('counter', (value ?? 0) + 1);
      });
    }
    return;
  }
  throw new Error(`unknown mode ${mode}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`store-child failed: ${String(error)}\n`);
  process.exit(1);
});
