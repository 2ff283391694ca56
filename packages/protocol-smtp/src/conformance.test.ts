import { mailProtocolSuite } from '@mailplug/testkit';
import { it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { createSmtpProtocol } from './index.js';

// testkit starts its own SMTP test server (smtp-server) for every check.
mailProtocolSuite(it, () => createSmtpProtocol(), { packageJson });
