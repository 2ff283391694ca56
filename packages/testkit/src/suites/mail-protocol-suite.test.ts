import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailProtocolSuite, runMailProtocolCheck } from '../mail-protocol-suite.js';
import { failsWith } from './expect-conformance.js';
import type { MailProtocolSuiteOptions } from './mail-protocol-checks.js';
import {
  type LineBreakage,
  type LineServer,
  linePackageJson,
  lineProtocol,
  startLineServer,
} from './test-subjects.js';

let server: LineServer;
beforeAll(async () => {
  server = await startLineServer();
});
afterAll(() => server.close());

const options: MailProtocolSuiteOptions = { packageJson: linePackageJson, server: () => server.fixture() };
const broken = (
  direction: 'send' | 'receive',
  breakage: LineBreakage,
  id: string,
  over: Partial<MailProtocolSuiteOptions> = {},
) => runMailProtocolCheck(id, () => lineProtocol(direction, breakage), { ...options, ...over });

describe('mailProtocolSuite against a send protocol', () => {
  mailProtocolSuite(it, () => lineProtocol('send'), options);
});

describe('mailProtocolSuite against a receive protocol', () => {
  mailProtocolSuite(it, () => lineProtocol('receive'), options);
});

describe('the mail protocol checks fail on broken protocols', () => {
  const registered = (direction: 'send' | 'receive') => {
    const names: string[] = [];
    mailProtocolSuite(
      (name) => names.push(name),
      () => lineProtocol(direction),
      options,
    );
    return names;
  };

  it('registers the send checks for a send protocol and the receive checks for a receive protocol, from its direction', () => {
    expect(registered('send').filter((n) => /send a message|fetch the raw|deleted message/.test(n))).toEqual([
      'line-send conformance: connect and send a message the server receives, then close twice',
    ]);
    expect(
      registered('receive').filter((n) => /send a message|fetch the raw|deleted message/.test(n)),
    ).toHaveLength(2);
  });

  it('catches a missing default port and a manifest that declares other ports', async () => {
    await failsWith(broken('send', 'missingPort', 'ports'), /defaultPorts\.none/);
    await failsWith(
      broken('send', 'missingPort', 'manifest'),
      /entry "line-send" differs from what the code is in: defaultPorts\./,
    );
  });

  it('catches a probe that throws, or fails a step without a hint', async () => {
    await failsWith(
      broken('send', 'probeThrows', 'closedPort'),
      /probe against a closed port \(it must report, not throw\) failed/,
    );
    await failsWith(broken('send', 'noHint', 'closedPort'), /error\.hint/);
  });

  it('catches a rejected password shown in an error, base64-encoded', async () => {
    await failsWith(
      broken('send', 'echoesPassword', 'rejectedCredentials'),
      /the rejected password appears \(base64\) in the probe report/,
    );
  });

  it('catches a send that never reaches the server, and an empty message id', async () => {
    await failsWith(broken('send', 'dropsMessages', 'send'), /the server never received the message/);
    await failsWith(broken('send', 'emptyMessageId', 'send'), /messageId/);
  });

  it('catches ids that change between two lists', async () => {
    await failsWith(broken('receive', 'unstableIds', 'receive'), /listing twice must give the same ids/);
  });

  it('catches a delete that deletes nothing', async () => {
    await failsWith(
      broken('receive', 'ignoresDelete', 'receiveDelete'),
      /is still listed on the next connection/,
    );
  });

  it('needs a server for protocols testkit cannot serve itself', async () => {
    await failsWith(
      runMailProtocolCheck('probe', () => lineProtocol('send'), { packageJson: linePackageJson }),
      /no built-in test server for "line-send"/,
    );
  });
});
