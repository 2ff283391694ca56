import { mailProtocolSuite } from '@mailplug/testkit';
import { it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { createGmailApiProtocol } from '../src/index.js';
import { gmailApiConformanceServer } from './conformance-server.js';

// The emulator serves the Gmail API under /gmail-api; each check gets a fresh emulator.
mailProtocolSuite(it, () => createGmailApiProtocol({ basePath: '/gmail-api', proxy: false }), {
  packageJson,
  server: gmailApiConformanceServer,
});
