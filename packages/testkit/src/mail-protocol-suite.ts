import type { MailProtocol } from '@mailplug/core';
import { registerChecks, type TestFunction } from './suites/conformance.js';
import { type MailProtocolSuiteOptions, mailProtocolChecks } from './suites/mail-protocol-checks.js';

export {
  assertReportShape,
  closedLoopbackPort,
  type MailProtocolCheck,
  type MailProtocolSuiteOptions,
  mailProtocolChecks,
  type ProtocolTestServer,
} from './suites/mail-protocol-checks.js';

/**
 * The conformance suite every mail protocol passes: manifest fields, default ports, staged
 * diagnostics (including a closed port), and a real connect + send or list + fetch.
 *
 * @example
 * // protocol-smtp/src/conformance.test.ts
 * import { it } from 'vitest';
 * import { mailProtocolSuite } from '@mailplug/testkit';
 * mailProtocolSuite(it, () => smtp(), { send: true, server: () => startSmtpTestServer() });
 */
export function mailProtocolSuite(
  it: TestFunction,
  factory: () => MailProtocol | Promise<MailProtocol>,
  options: MailProtocolSuiteOptions,
): void {
  registerChecks(it, 'mail protocol conformance', Object.values(mailProtocolChecks), factory, options);
}
