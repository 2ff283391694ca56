import { mailProtocolSuite } from '@mailplug/testkit';
import { it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { createGraphProtocol } from '../src/index.js';
import { graphConformanceServer } from './conformance-server.js';

// The emulator serves Graph under /graph; each check gets a fresh emulator.
mailProtocolSuite(it, () => createGraphProtocol({ basePath: '/graph', proxy: false }), {
  packageJson,
  server: graphConformanceServer,
});
