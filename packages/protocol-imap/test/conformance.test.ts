import { type Emulator, startEmulator } from '@mailplug/emulator';
import { emulatorMailServer, mailProtocolSuite } from '@mailplug/testkit';
import { afterAll, beforeAll, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { createImapProtocol } from '../src/index.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(() => emulator.stop());

const server = emulatorMailServer(() => emulator, 'imap');
mailProtocolSuite(it, () => createImapProtocol({ silenceDeprecation: true }), { packageJson, server });
