import { randomBytes } from 'node:crypto';
import type { MailProtocol } from '@mailplug/core';
import { startPop3TestServer } from './pop3-test-server.js';
import { startSmtpTestServer } from './smtp-test-server.js';
import { ConformanceError, registerChecks, runCleanups, type TestFunction } from './suites/conformance.js';
import {
  type MailProtocolCheck,
  type MailProtocolHarness,
  type MailProtocolSuiteOptions,
  type MailServerFixture,
  mailProtocolChecksFor,
} from './suites/mail-protocol-checks.js';

export {
  assertReportShape,
  closedLoopbackPort,
  type MailProtocolCheck,
  type MailProtocolOptOutId,
  type MailProtocolSuiteOptions,
  type MailServerFixture,
} from './suites/mail-protocol-checks.js';

/** The factory the suite calls for a fresh protocol per check. */
export type MailProtocolFactory = () => MailProtocol;

/** testkit's own servers for the protocols it can serve: a fresh one per check. */
async function builtInServer(protocol: MailProtocol): Promise<MailServerFixture> {
  const user = 'conformance@example.com';
  const password = randomBytes(12).toString('base64url');
  if (protocol.id === 'smtp') {
    const server = await startSmtpTestServer({ users: { [user]: password } });
    return {
      server: server.settings,
      user,
      password,
      messages: () => server.messages.map((m) => m.raw),
      close: server.close,
    };
  }
  if (protocol.id === 'pop3') {
    const server = await startPop3TestServer({ users: { [user]: password } });
    return {
      server: server.settings,
      user,
      password,
      deliver: (raw) => void server.deliver(user, raw),
      close: server.close,
    };
  }
  throw new ConformanceError(
    `testkit has no built-in test server for "${protocol.id}"; pass options.server (for IMAP: emulatorMailServer).`,
  );
}

async function runCheck(
  check: MailProtocolCheck,
  factory: MailProtocolFactory,
  options: MailProtocolSuiteOptions,
) {
  await options.setup?.();
  const cleanups: (() => unknown)[] = [];
  try {
    const protocol = factory();
    let started: Promise<MailServerFixture> | undefined;
    const harness: MailProtocolHarness = {
      protocol,
      options,
      server() {
        started ??= (async () => {
          const fixture = await (options.server ?? builtInServer)(protocol);
          cleanups.push(() => fixture.close?.());
          return fixture;
        })();
        return started;
      },
    };
    await check.run(harness);
  } finally {
    try {
      await runCleanups(cleanups);
    } finally {
      await options.teardown?.();
    }
  }
}

/**
 * Runs one check against a fresh protocol, outside any runner (how this package proves each check
 * fails on a broken protocol). Rejects with a `ConformanceError` naming the broken rule.
 */
export async function runMailProtocolCheck(
  id: string,
  factory: MailProtocolFactory,
  options: MailProtocolSuiteOptions,
): Promise<void> {
  const check = mailProtocolChecksFor(factory()).find((c) => c.id === id);
  if (!check) throw new ConformanceError(`"${id}" is not a check that applies to this protocol.`);
  await runCheck(check, factory, options);
}

/**
 * The conformance suite every mail protocol passes: manifest, default ports, staged diagnostics
 * (a closed port, a rejected password that never shows), and a real send — or deliver, list,
 * fetch and delete — against a working server. Which checks run follows from the protocol's own
 * `direction`; SMTP and POP3 get testkit's test servers unless `server` says otherwise.
 *
 * @example
 * // protocol-pop3/test/conformance.test.ts
 * mailProtocolSuite(it, () => createPop3Protocol({ silenceDeprecation: true }), { packageJson });
 */
export function mailProtocolSuite(
  it: TestFunction,
  factory: MailProtocolFactory,
  options: MailProtocolSuiteOptions,
): void {
  const protocol = factory();
  registerChecks(it, `${protocol.id} conformance`, mailProtocolChecksFor(protocol), options.optOut, (check) =>
    runCheck(check, factory, options),
  );
}
