import { authProviderSuite } from '@mailplug/testkit';
import { afterAll, beforeAll, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { create__PASCAL__ } from '../src/index.js';
import { oauthEmulatorEnvironment } from './oauth-environment.js';

// The emulator's generic OAuth 2.0 server, started before the suite and stopped after it.
const environment = oauthEmulatorEnvironment({ beforeAll, afterAll });
authProviderSuite(it, (options) => create__PASCAL__(options), { packageJson, environment });
