import { type Emulator, startEmulator } from '@mailplug/emulator';
import { authProviderSuite, conformanceEmulatorOptions } from '@mailplug/testkit';
import { afterAll, beforeAll, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { create__PASCAL__ } from '../src/index.js';
import { oauthEmulatorEnvironment } from './oauth-environment.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator(conformanceEmulatorOptions);
});
afterAll(() => emulator.stop());

authProviderSuite(it, (options) => create__PASCAL__(options), {
  packageJson,
  environment: oauthEmulatorEnvironment(() => emulator),
});
