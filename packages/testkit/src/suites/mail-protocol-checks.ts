import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type {
  CredentialSource,
  DiagnosticReport,
  DiagnosticStep,
  MailProtocol,
  ReceiveConnection,
  ServerSettings,
} from '@mailplug/core';
import { expectManifestMatches } from '../manifest-check.js';
import { passwordCredentials } from '../test-helpers.js';
import type { AdapterPackageJson } from './auth/auth-options.js';
import { type Check, ConformanceError, ensure, rejection, type SuiteHooks, succeeds } from './conformance.js';
import { errorSurfaces, findLeak } from './secret-forms.js';

/** A server the protocol can really talk to, and a mailbox on it. */
export interface MailServerFixture {
  readonly server: ServerSettings;
  readonly user: string;
  /** The mailbox password, for servers that take passwords. */
  readonly password?: string;
  /**
   * For protocols that take OAuth (HTTP send APIs): what signs in. Default: `user` + `password`.
   * The suite's rejected-credentials check then uses `rejectedCredentials(planted)`.
   */
  readonly credentials?: CredentialSource;
  /** A credential source the server refuses, carrying `planted` as its secret. */
  rejectedCredentials?(planted: string): CredentialSource;
  /** Receive protocols: put a raw RFC 5322 message into the mailbox. */
  deliver?(raw: string): void | Promise<void>;
  /** Send protocols: the raw messages the server accepted so far. */
  messages?(): readonly string[] | Promise<readonly string[]>;
  close?(): void | Promise<void>;
}

export type MailProtocolOptOutId = 'rejectedCredentials' | 'receiveDelete';

export interface MailProtocolSuiteOptions extends SuiteHooks {
  /** The adapter's package.json: its `mailplug` manifest must declare exactly this protocol. */
  readonly packageJson: AdapterPackageJson;
  /**
   * A fresh working server per check. Default: testkit's own SMTP test server for `smtp` and POP3
   * test server for `pop3`; other protocols must give one (IMAP: `emulatorMailServer`).
   */
  server?(protocol: MailProtocol): MailServerFixture | Promise<MailServerFixture>;
  /** Checks this protocol cannot keep, each with the reason (printed instead of running the check). */
  readonly optOut?: Readonly<Partial<Record<MailProtocolOptOutId, string>>>;
}

/** What each check gets: a fresh protocol, and a server started on first use, closed afterwards. */
export interface MailProtocolHarness {
  readonly protocol: MailProtocol;
  readonly options: MailProtocolSuiteOptions;
  server(): Promise<MailServerFixture>;
}

export type MailProtocolCheck = Check<MailProtocolHarness>;

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;
const MODES = ['starttls', 'tls', 'none'] as const;

/** A loopback port with nothing listening: bind an ephemeral port, then release it. */
export async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  ensure(address && typeof address === 'object', 'could not allocate a loopback port.');
  return address.port;
}

const closedServer = async (): Promise<ServerSettings> => ({
  host: '127.0.0.1',
  port: await closedLoopbackPort(),
  security: 'tls',
  timeoutMs: 5000,
});

const dummyCredentials: CredentialSource = passwordCredentials(
  'conformance@example.com',
  'not-a-real-password',
);

/** Checks every step's shape and that `ok` agrees with the steps. */
export function assertReportShape(report: DiagnosticReport, streamed?: readonly DiagnosticStep[]): void {
  ensure(
    report && Array.isArray(report.steps) && report.steps.length > 0,
    'probe must report at least one step.',
  );
  for (const step of report.steps) {
    ensure(nonEmpty(step.id), 'every step needs an id.');
    ensure(nonEmpty(step.label), `step "${step.id}" needs a label.`);
    ensure(
      ['ok', 'failed', 'skipped'].includes(step.status),
      `step "${step.id}" has status ${String(step.status)}.`,
    );
    ensure(
      Number.isFinite(step.durationMs) && step.durationMs >= 0,
      `step "${step.id}" needs durationMs >= 0.`,
    );
    if (step.status === 'failed') {
      ensure(step.error && nonEmpty(step.error.code), `failed step "${step.id}" needs error.code.`);
      ensure(nonEmpty(step.error.hint), `failed step "${step.id}" needs error.hint naming the fix.`);
    }
  }
  const ok = report.steps.every((s) => s.status !== 'failed');
  ensure(report.ok === ok, `report.ok is ${report.ok} but the steps say ${ok}.`);
  if (streamed) {
    ensure(
      streamed.length === report.steps.length,
      `onStep was called ${streamed.length} times for ${report.steps.length} steps.`,
    );
  }
}

const identity: MailProtocolCheck = {
  id: 'identity',
  name: 'declares specificationVersion v1, an id, a label, a direction, connect and probe',
  async run({ protocol: p }) {
    ensure(
      p.specificationVersion === 'v1',
      `specificationVersion must be "v1", got ${String(p.specificationVersion)}.`,
    );
    ensure(
      nonEmpty(p.id) && !/\s/.test(p.id),
      `id must be non-empty without spaces, got ${JSON.stringify(p.id)}.`,
    );
    ensure(nonEmpty(p.label), 'label must be non-empty.');
    ensure(
      p.direction === 'send' || p.direction === 'receive',
      `direction must be send or receive, got ${String(p.direction)}.`,
    );
    ensure(
      typeof p.connect === 'function' && typeof p.probe === 'function',
      'connect and probe must be functions.',
    );
  },
};

const manifest: MailProtocolCheck = {
  id: 'manifest',
  name: 'the package.json manifest declares exactly this protocol (id, label, direction, ports, deprecation)',
  async run({ protocol, options }) {
    expectManifestMatches(options.packageJson, protocol);
  },
};

const ports: MailProtocolCheck = {
  id: 'ports',
  name: 'declares a default port for starttls, tls and none, and a deprecation notice says since when and what to do',
  async run({ protocol: p }) {
    for (const mode of MODES) {
      const port = p.defaultPorts?.[mode];
      ensure(
        Number.isInteger(port) && port >= 1 && port <= 65535,
        `defaultPorts.${mode} must be a port number, got ${String(port)}.`,
      );
    }
    if (p.deprecated === undefined) return;
    ensure(nonEmpty(p.deprecated.since), 'deprecated.since must be non-empty.');
    ensure(nonEmpty(p.deprecated.message), 'deprecated.message must be non-empty.');
  },
};

const closedPort: MailProtocolCheck = {
  id: 'closedPort',
  name: 'a closed port: probe reports a failed step with a code and hint without throwing, connect rejects with a MailplugError',
  async run({ protocol: p }) {
    const streamed: DiagnosticStep[] = [];
    const report = await succeeds(
      async () => p.probe(await closedServer(), dummyCredentials, { onStep: (s) => streamed.push(s) }),
      'probe against a closed port (it must report, not throw)',
    );
    assertReportShape(report, streamed);
    ensure(
      !report.ok && report.steps.some((s) => s.status === 'failed'),
      'probing a closed port must report a failed step.',
    );
    const server = await closedServer();
    await rejection(async () => {
      const connection = await p.connect(server, dummyCredentials);
      await connection.close();
    }, 'connect to a closed port');
  },
};

/** What signs in to the fixture's server: its OAuth source, else user + password. */
function credentialsOf(fixture: MailServerFixture): CredentialSource {
  if (fixture.credentials) return fixture.credentials;
  ensure(fixture.password !== undefined, 'the server fixture must give a password or credentials.');
  return passwordCredentials(fixture.user, fixture.password ?? '');
}

const probeWorks: MailProtocolCheck = {
  id: 'probe',
  name: 'probe passes against a working server',
  async run({ protocol: p, server }) {
    const fixture = await server();
    const report = await succeeds(() => p.probe(fixture.server, credentialsOf(fixture)), 'probe');
    assertReportShape(report);
    const failed = report.steps.filter((s) => s.status === 'failed');
    ensure(
      report.ok,
      `probe failed at ${failed.map((s) => `${s.id}: ${s.error?.code} ${s.error?.message}`).join('; ')}.`,
    );
  },
};

const rejectedCredentials: MailProtocolCheck = {
  id: 'rejectedCredentials',
  name: 'a rejected password fails probe and connection use with a MailplugError that never shows the password, raw or encoded',
  canOptOut: true,
  async run({ protocol: p, server }) {
    const fixture = await server();
    const planted = randomBytes(18).toString('base64url');
    const wrong = fixture.rejectedCredentials?.(planted) ?? passwordCredentials(fixture.user, planted);
    const report = await succeeds(
      () => p.probe(fixture.server, wrong),
      'probe with a wrong password (it must report, not throw)',
    );
    assertReportShape(report);
    ensure(!report.ok, 'probe with a wrong password must not report ok.');
    // Connecting may be lazy (a pooled SMTP transport signs in at the first send): use it too.
    const error = await rejection(async () => {
      const connection = await p.connect(fixture.server, wrong);
      try {
        if (connection.direction === 'send') {
          await connection.send({
            from: fixture.user,
            to: 'recipient@example.com',
            subject: 'never sent',
            text: 'x',
          });
        } else {
          await connection.list();
        }
      } finally {
        await connection.close();
      }
    }, 'connecting and using the connection with a wrong password');
    const leak = findLeak(
      [{ what: 'the rejected password', value: planted }],
      [
        ['the probe report', JSON.stringify(report)],
        ...errorSurfaces(error).map(([s, t]): [string, string] => [`the connect error's ${s}`, t]),
      ],
    );
    if (leak) throw new ConformanceError(`a secret leaked: ${leak}`);
  },
};

const uniqueSubject = () => `Mailplug conformance ${randomBytes(6).toString('hex')}`;

const send: MailProtocolCheck = {
  id: 'send',
  name: 'connect and send a message the server receives, then close twice',
  async run({ protocol: p, server }) {
    ensure(p.direction === 'send', 'a send protocol must have direction "send".');
    const fixture = await server();
    ensure(
      fixture.messages,
      'the server fixture of a send protocol must offer messages() so the suite can see what arrived.',
    );
    const connection = await succeeds(() => p.connect(fixture.server, credentialsOf(fixture)), 'connect');
    ensure(connection.direction === 'send', 'connect must return a send connection.');
    const subject = uniqueSubject();
    try {
      const result = await succeeds(
        () =>
          connection.send({
            from: fixture.user,
            to: 'recipient@example.com',
            subject,
            text: 'Hello from the Mailplug conformance suite.',
          }),
        'send',
      );
      ensure(nonEmpty(result.messageId), 'SendResult.messageId must be non-empty.');
      ensure(
        Array.isArray(result.accepted) && result.accepted.includes('recipient@example.com'),
        'SendResult.accepted must list the recipient.',
      );
      ensure(Array.isArray(result.rejected), 'SendResult.rejected must be an array.');
      const arrived = await fixture.messages();
      ensure(
        arrived.some((raw) => raw.includes(subject)),
        'the server never received the message that send() reported as sent.',
      );
    } finally {
      await succeeds(async () => {
        await connection.close();
        await connection.close();
      }, 'closing the connection twice');
    }
  },
};

async function withReceive<T>(
  p: MailProtocol,
  fixture: MailServerFixture,
  body: (connection: ReceiveConnection) => Promise<T>,
): Promise<T> {
  if (p.direction !== 'receive') throw new ConformanceError('a receive check ran against a send protocol.');
  const connection = await succeeds(() => p.connect(fixture.server, credentialsOf(fixture)), 'connect');
  ensure(connection.direction === 'receive', 'connect must return a receive connection.');
  try {
    return await body(connection);
  } finally {
    await succeeds(async () => {
      await connection.close();
      await connection.close();
    }, 'closing the connection twice');
  }
}

const message = (subject: string) =>
  `From: sender@example.com\r\nTo: recipient@example.com\r\nSubject: ${subject}\r\nMessage-ID: <${randomBytes(8).toString('hex')}@example.com>\r\n\r\nHello from the Mailplug conformance suite.\r\n`;

/** The listed id whose fetched bytes carry `subject`. */
async function idOf(connection: ReceiveConnection, subject: string): Promise<string | undefined> {
  for (const entry of await connection.list()) {
    const raw = Buffer.from(await connection.fetch(entry.id)).toString('latin1');
    if (raw.includes(subject)) return entry.id;
  }
  return undefined;
}

const receive: MailProtocolCheck = {
  id: 'receive',
  name: 'connect, list with stable ids and sizes, and fetch the raw message that was delivered',
  async run({ protocol: p, server }) {
    ensure(p.direction === 'receive', 'a receive protocol must have direction "receive".');
    const fixture = await server();
    ensure(
      fixture.deliver,
      'the server fixture of a receive protocol must offer deliver() so the suite can put a message there.',
    );
    const subject = uniqueSubject();
    await fixture.deliver(message(subject));
    await withReceive(p, fixture, async (connection) => {
      const list = await succeeds(() => connection.list(), 'list()');
      ensure(Array.isArray(list) && list.length > 0, 'list() must return the delivered message.');
      for (const m of list) {
        ensure(nonEmpty(m.id), 'every message needs a stable id.');
        ensure(Number.isInteger(m.size) && m.size >= 0, `message ${m.id} needs a size.`);
      }
      ensure(new Set(list.map((m) => m.id)).size === list.length, 'message ids must be unique.');
      const again = await succeeds(() => connection.list(), 'a second list()');
      ensure(
        JSON.stringify(again.map((m) => m.id)) === JSON.stringify(list.map((m) => m.id)),
        'listing twice must give the same ids.',
      );
      const id = await succeeds(() => idOf(connection, subject), 'fetch()');
      ensure(id !== undefined, 'no fetched message carried the delivered subject.');
      const raw = Buffer.from(await connection.fetch(id)).toString('latin1');
      ensure(/\r?\n\r?\n/.test(raw), 'fetch() must return an RFC 5322 message (headers, blank line, body).');
    });
  },
};

const receiveDelete: MailProtocolCheck = {
  id: 'receiveDelete',
  name: 'a deleted message is gone on the next connection, and only that one',
  canOptOut: true,
  async run({ protocol: p, server }) {
    const fixture = await server();
    ensure(fixture.deliver, 'the server fixture of a receive protocol must offer deliver().');
    const [doomed, kept] = [uniqueSubject(), uniqueSubject()];
    await fixture.deliver(message(doomed));
    await fixture.deliver(message(kept));
    const doomedId = await withReceive(p, fixture, async (connection) => {
      const id = await succeeds(() => idOf(connection, doomed), 'finding the message to delete');
      ensure(id !== undefined, 'the delivered message was not listed.');
      await succeeds(() => connection.delete(id), 'delete()');
      return id;
    });
    await withReceive(p, fixture, async (connection) => {
      const ids = (await succeeds(() => connection.list(), 'list() on the next connection')).map((m) => m.id);
      ensure(
        !ids.includes(doomedId),
        `the deleted message ${doomedId} is still listed on the next connection.`,
      );
      ensure((await idOf(connection, kept)) !== undefined, 'deleting one message removed another.');
    });
  },
};

/** Which checks apply, read from the protocol's direction. */
export function mailProtocolChecksFor(protocol: MailProtocol): MailProtocolCheck[] {
  return [
    identity,
    manifest,
    ports,
    closedPort,
    probeWorks,
    rejectedCredentials,
    ...(protocol.direction === 'send' ? [send] : [receive, receiveDelete]),
  ];
}
