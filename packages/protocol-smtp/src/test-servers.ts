// Test helpers shared by this package's server-backed tests (not part of the published entry).
import { type SmtpTestServer, type SmtpTestServerOptions, startSmtpTestServer } from '@mailplug/testkit';
import { afterEach } from 'vitest';

/** The mailbox the server-backed tests sign in as. */
export const USER = 'ann@example.test';

/**
 * Registers an `afterEach` that closes every server started during the test, and returns the
 * function that starts one (a real smtp-server on 127.0.0.1, port 0).
 */
export function smtpServersPerTest(): (options?: SmtpTestServerOptions) => Promise<SmtpTestServer> {
  const running: SmtpTestServer[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.close()));
  });
  return async (options) => {
    const server = await startSmtpTestServer(options);
    running.push(server);
    return server;
  };
}
