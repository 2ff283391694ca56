import { createServer } from 'node:net';
import type {
  CredentialSource,
  DiagnosticReport,
  DiagnosticStep,
  MailProtocol,
  OutgoingMessage,
  Security,
  SendResult,
  ServerSettings,
} from '@mailplug/core';
import { type Check, ensure, rejection, type SuiteHooks } from './conformance.js';

/** A server the protocol can really talk to, with credentials it accepts. */
export interface ProtocolTestServer {
  readonly server: ServerSettings;
  readonly credentials: CredentialSource;
}

export interface MailProtocolSuiteOptions extends SuiteHooks {
  readonly send?: boolean;
  readonly receive?: boolean;
  /** Security mode used when probing a closed port (default `starttls`). */
  readonly closedPortSecurity?: Security;
  /** A working server. For receive protocols it must hold at least one message. */
  server(): ProtocolTestServer | Promise<ProtocolTestServer>;
  /** Send: the message to send (default: a short text message to `recipient@example.com`). */
  readonly message?: OutgoingMessage;
  /** Send: confirm the server really received the message (e.g. look into smtp-test-server's inbox). */
  verifySent?(result: SendResult, message: OutgoingMessage): void | Promise<void>;
}

export type MailProtocolCheck = Check<MailProtocol, MailProtocolSuiteOptions>;

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;
const MODES: readonly Security[] = ['starttls', 'tls', 'none'];

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

const dummyCredentials: CredentialSource = {
  async getCredential() {
    return { kind: 'password', user: 'conformance@example.com', password: 'not-a-real-password' };
  },
};

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

export const identityCheck: MailProtocolCheck = {
  name: 'declares specificationVersion v1, an id, a label and the direction the suite expects',
  async run(p, o) {
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
    ensure(!!o.send !== !!o.receive, 'tell the suite exactly one of send or receive.');
    const expected = o.send ? 'send' : 'receive';
    ensure(p.direction === expected, `direction is "${p.direction}" but the suite was told "${expected}".`);
    ensure(
      typeof p.connect === 'function' && typeof p.probe === 'function',
      'connect and probe must be functions.',
    );
  },
};

export const portsCheck: MailProtocolCheck = {
  name: 'declares a default port for starttls, tls and none',
  async run(p) {
    for (const mode of MODES) {
      const port = p.defaultPorts?.[mode];
      ensure(
        Number.isInteger(port) && port >= 1 && port <= 65535,
        `defaultPorts.${mode} must be a port number, got ${String(port)}.`,
      );
    }
  },
};

export const deprecationCheck: MailProtocolCheck = {
  name: 'a deprecation notice, if any, says since when and what to do',
  async run(p) {
    if (p.deprecated === undefined) return;
    ensure(nonEmpty(p.deprecated.since), 'deprecated.since must be non-empty.');
    ensure(nonEmpty(p.deprecated.message), 'deprecated.message must be non-empty.');
  },
};

const closedServer = async (o: MailProtocolSuiteOptions): Promise<ServerSettings> => ({
  host: '127.0.0.1',
  port: await closedLoopbackPort(),
  security: o.closedPortSecurity ?? 'starttls',
  timeoutMs: 5000,
});

export const probeClosedPortCheck: MailProtocolCheck = {
  name: 'probe reports a closed port as a failed step with a code and hint, without throwing',
  async run(p, o) {
    const streamed: DiagnosticStep[] = [];
    const report = await p.probe(await closedServer(o), dummyCredentials, {
      onStep: (s) => streamed.push(s),
    });
    assertReportShape(report, streamed);
    ensure(!report.ok, 'probing a closed port must not report ok.');
    ensure(
      report.steps.some((s) => s.status === 'failed'),
      'probing a closed port must have a failed step.',
    );
  },
};

export const connectClosedPortCheck: MailProtocolCheck = {
  name: 'connect to a closed port rejects with a MailplugError',
  async run(p, o) {
    const server = await closedServer(o);
    await rejection(async () => {
      const connection = await p.connect(server, dummyCredentials);
      await connection.close();
    }, 'connect to a closed port');
  },
};

export const probeWorkingServerCheck: MailProtocolCheck = {
  name: 'probe passes against a working server',
  async run(p, o) {
    const { server, credentials } = await o.server();
    const report = await p.probe(server, credentials);
    assertReportShape(report);
    const failed = report.steps.filter((s) => s.status === 'failed');
    ensure(
      report.ok,
      `probe failed at ${failed.map((s) => `${s.id}: ${s.error?.code} ${s.error?.message}`).join('; ')}.`,
    );
  },
};

const defaultMessage: OutgoingMessage = {
  from: 'conformance@example.com',
  to: 'recipient@example.com',
  subject: 'Mailplug conformance',
  text: 'Hello from the Mailplug conformance suite.',
};

export const sendCheck: MailProtocolCheck = {
  name: 'connect and send a message',
  applies: (o) => o.send === true,
  async run(p, o) {
    ensure(p.direction === 'send', 'a send protocol must have direction "send".');
    const { server, credentials } = await o.server();
    const connection = await p.connect(server, credentials);
    ensure(connection.direction === 'send', 'connect must return a send connection.');
    const message = o.message ?? defaultMessage;
    try {
      const result = await connection.send(message);
      ensure(nonEmpty(result.messageId), 'SendResult.messageId must be non-empty.');
      ensure(
        Array.isArray(result.accepted) && result.accepted.length > 0,
        'SendResult.accepted must list the recipient.',
      );
      ensure(Array.isArray(result.rejected), 'SendResult.rejected must be an array.');
      await o.verifySent?.(result, message);
    } finally {
      await connection.close();
      await connection.close();
    }
  },
};

export const receiveCheck: MailProtocolCheck = {
  name: 'connect, list and fetch a message',
  applies: (o) => o.receive === true,
  async run(p, o) {
    ensure(p.direction === 'receive', 'a receive protocol must have direction "receive".');
    const { server, credentials } = await o.server();
    const connection = await p.connect(server, credentials);
    ensure(connection.direction === 'receive', 'connect must return a receive connection.');
    try {
      const list = await connection.list();
      ensure(
        Array.isArray(list) && list.length > 0,
        'list() must return the messages on the server (the suite server holds one).',
      );
      for (const m of list) {
        ensure(nonEmpty(m.id), 'every message needs a stable id.');
        ensure(Number.isInteger(m.size) && m.size >= 0, `message ${m.id} needs a size.`);
      }
      const first = list[0]!;
      const raw = await connection.fetch(first.id);
      ensure(raw instanceof Uint8Array && raw.length > 0, 'fetch() must return the raw message bytes.');
      ensure(
        /\r?\n\r?\n/.test(Buffer.from(raw).toString('latin1')),
        'fetch() must return an RFC 5322 message (headers, blank line, body).',
      );
    } finally {
      await connection.close();
      await connection.close();
    }
  },
};

export const mailProtocolChecks = {
  identity: identityCheck,
  ports: portsCheck,
  deprecation: deprecationCheck,
  probeClosedPort: probeClosedPortCheck,
  connectClosedPort: connectClosedPortCheck,
  probeWorkingServer: probeWorkingServerCheck,
  send: sendCheck,
  receive: receiveCheck,
} as const;
