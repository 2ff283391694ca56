import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailProtocolSuite } from '../mail-protocol-suite.js';
import { failsWith } from './expect-conformance.js';
import { type MailProtocolSuiteOptions, mailProtocolChecks } from './mail-protocol-checks.js';
import { goodCredentials, type LineServer, lineProtocol, startLineServer } from './test-subjects.js';

let server: LineServer;
beforeAll(async () => {
  server = await startLineServer(['Subject: hi\r\nFrom: a@example.com\r\n\r\nHello\r\n']);
});
afterAll(() => server.close());

const lineServer = () => ({
  server: { host: '127.0.0.1', port: server.port, security: 'none' as const, allowInsecureAuth: true },
  credentials: goodCredentials,
});

const sendOptions: MailProtocolSuiteOptions = {
  send: true,
  server: lineServer,
  verifySent(result) {
    expect(server.received.at(-1)).toContain('Mailplug conformance');
    expect(result.messageId).toMatch(/@line>$/);
  },
};
const receiveOptions: MailProtocolSuiteOptions = { receive: true, server: lineServer };

describe('mailProtocolSuite against a send protocol', () => {
  mailProtocolSuite(it, () => lineProtocol({ direction: 'send' }), sendOptions);
});

describe('mailProtocolSuite against a receive protocol', () => {
  mailProtocolSuite(it, () => lineProtocol({ direction: 'receive' }), receiveOptions);
});

describe('the mail protocol checks fail on broken protocols', () => {
  it('registers the send or the receive check, not both', () => {
    const names = (options: MailProtocolSuiteOptions) => {
      const registered: string[] = [];
      mailProtocolSuite(
        (name) => registered.push(name),
        () => lineProtocol({ direction: 'send' }),
        options,
      );
      return registered;
    };
    expect(names(sendOptions).filter((n) => /send a message|list and fetch/.test(n))).toEqual([
      'mail protocol conformance: connect and send a message',
    ]);
    expect(names(receiveOptions)).toContain('mail protocol conformance: connect, list and fetch a message');
  });

  it('catches a wrong direction and a missing default port', async () => {
    await failsWith(
      mailProtocolChecks.identity.run(lineProtocol({ direction: 'receive' }), sendOptions),
      /direction/,
    );
    await failsWith(
      mailProtocolChecks.ports.run(lineProtocol({ direction: 'send', breakage: 'missingPort' }), sendOptions),
      /defaultPorts\.none/,
    );
  });

  it('catches a probe that throws, or fails a step without a hint', async () => {
    const thrown = await mailProtocolChecks.probeClosedPort
      .run(lineProtocol({ direction: 'send', breakage: 'probeThrows' }), sendOptions)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(thrown).toMatchObject({ code: 'CONNECTION_REFUSED' });
    await failsWith(
      mailProtocolChecks.probeClosedPort.run(
        lineProtocol({ direction: 'send', breakage: 'noHint' }),
        sendOptions,
      ),
      /error\.hint/,
    );
  });

  it('catches a probe that fails against a working server and an empty message id', async () => {
    await failsWith(
      mailProtocolChecks.probeWorkingServer.run(lineProtocol({ direction: 'send' }), {
        ...sendOptions,
        server: () => ({
          ...lineServer(),
          credentials: { getCredential: async () => ({ kind: 'password', user: 'u', password: 'wrong' }) },
        }),
      }),
      /AUTH_FAILED/,
    );
    await failsWith(
      mailProtocolChecks.send.run(
        lineProtocol({ direction: 'send', breakage: 'emptyMessageId' }),
        sendOptions,
      ),
      /messageId/,
    );
  });
});
