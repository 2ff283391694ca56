import type { Emulator } from '@mailplug/emulator';
import { passwordCredentials } from '@mailplug/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createImapProtocol, IMAP_DEPRECATION_CODE } from '../src/index.js';
import { alicePassword, imapServer, startImapEmulator, USER } from './helpers.js';

let emulator: Emulator;
const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
beforeAll(async () => {
  emulator = await startImapEmulator();
  process.on('warning', onWarning);
});
afterAll(async () => {
  process.off('warning', onWarning);
  await emulator?.stop();
});

const ours = () => warnings.filter((w) => (w as { code?: string }).code === IMAP_DEPRECATION_CODE);
const tick = () => new Promise((resolve) => setImmediate(resolve));

// One file, one process (vitest forks): the once-per-process state starts empty here.
it('warns once per process, and a silenced protocol never warns', async () => {
  const credentials = passwordCredentials(USER, alicePassword(emulator));
  const silenced = await createImapProtocol({ silenceDeprecation: true }).connect(
    imapServer(emulator),
    credentials,
  );
  await silenced.close();
  await tick();
  expect(ours()).toHaveLength(0);

  const protocol = createImapProtocol();
  for (let i = 0; i < 2; i += 1) {
    const connection = await protocol.connect(imapServer(emulator), credentials);
    await connection.close();
  }
  await tick();
  expect(ours()).toHaveLength(1);
  expect(ours()[0]?.name).toBe('DeprecationWarning');
  expect(ours()[0]?.message).toMatch(/IMAP receive is deprecated/);
  expect(protocol.deprecated?.since).toBe('0.1.0');
});
