import { mailProtocolSuite, type SmtpTestServer, startSmtpTestServer } from '@mailplug/testkit';
import { expect, it } from 'vitest';
import { createSmtpProtocol } from './index.js';
import { passwordSource, serverSettings } from './test-support.js';

const USER = 'conformance@example.com';
const PASSWORD = 'conformance-password-1';
const running: SmtpTestServer[] = [];

mailProtocolSuite(it, () => createSmtpProtocol(), {
  send: true,
  async server() {
    const server = await startSmtpTestServer({ users: { [USER]: PASSWORD } });
    running.push(server);
    return { server: serverSettings(server), credentials: passwordSource(USER, PASSWORD) };
  },
  verifySent(result) {
    const delivered = running.flatMap((s) => s.messages);
    expect(delivered.some((m) => result.accepted.every((a) => m.envelope.to.includes(a)))).toBe(true);
  },
  async teardown() {
    await Promise.all(running.splice(0).map((s) => s.close()));
  },
});
