import { mailProtocolSuite } from '@mailplug/testkit';
import { it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { createPop3Protocol } from '../src/index.js';

// testkit starts its own POP3 test server (implicit TLS) for every check.
mailProtocolSuite(it, () => createPop3Protocol({ silenceDeprecation: true }), { packageJson });
