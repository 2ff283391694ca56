import { type Emulator, startEmulator } from '@mailplug/emulator';
import { authProviderSuite, conformanceEmulatorOptions, emulatorEnvironment } from '@mailplug/testkit';
import { afterAll, beforeAll, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { createM365AppOnly } from '../src/index.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator(conformanceEmulatorOptions);
});
afterAll(() => emulator.stop());

const environment = emulatorEnvironment(() => emulator);
authProviderSuite(it, (options) => createM365AppOnly(options), { packageJson, environment });
