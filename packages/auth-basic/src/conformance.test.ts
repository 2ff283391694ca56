import { authProviderSuite } from '@mailplug/testkit';
import { it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { createBasicAuth } from './index.js';

// No identity provider: the suite derives working settings from the schema and plants its own password.
authProviderSuite(it, () => createBasicAuth(), { packageJson });
