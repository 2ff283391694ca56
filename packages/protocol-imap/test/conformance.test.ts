import type { Emulator } from '@mailplug/emulator';
import { mailProtocolSuite } from '@mailplug/testkit';
import { afterAll, beforeAll, it } from 'vitest';
import { createImapProtocol } from '../src/index.js';
import { alicePassword, imapServer, message, passwordSource, startImapEmulator, USER } from './helpers.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startImapEmulator();
  emulator.mail?.deliver(USER, message('conformance'));
});
afterAll(() => emulator?.stop());

mailProtocolSuite(it, () => createImapProtocol({ silenceDeprecation: true }), {
  receive: true,
  closedPortSecurity: 'tls',
  server: () => ({
    server: imapServer(emulator),
    credentials: passwordSource(USER, alicePassword(emulator)),
  }),
});
