/**
 * Real parts for outbox tests: an in-process smtp-server (PLAIN over loopback, replies scriptable
 * per message); the mailer side is in mailer-bed.ts.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { PASSWORD } from './mailer-bed.js';

export { createTestMailer, type MailerBed, PASSWORD, testAccount } from './mailer-bed.js';

export interface ReceivedMessage {
  readonly messageId: string;
  readonly subject: string;
  readonly to: readonly string[];
  /** When the server read the end of DATA (before it answered 250). */
  readonly receivedAt: number;
}

export interface ScriptedReply {
  readonly code: number;
  readonly message: string;
}

export interface TestSmtpServer {
  readonly port: number;
  readonly received: ReceivedMessage[];
  /** Calls `listener` with each message as the server reads its end of DATA (before answering 250). */
  onMessage(listener: (message: ReceivedMessage) => void): () => void;
  /** AUTH attempts, accepted or not. */
  readonly authAttempts: number;
  /** Replies for the next messages' DATA, in order (the message is then not received). */
  replyToNextData(...replies: ScriptedReply[]): void;
  /** Every AUTH gets this reply until cleared with `undefined`. */
  refuseAuth(reply: ScriptedReply | undefined): void;
  /** Refuse every RCPT TO for this address. */
  rejectRecipient(address: string, reply: ScriptedReply): void;
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const header = (raw: string, name: string) =>
  new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(raw.split(/\r?\n\r?\n/)[0] ?? '')?.[1]?.trim() ?? '';

const smtpError = (reply: ScriptedReply) =>
  Object.assign(new Error(reply.message), { responseCode: reply.code });

export async function startTestSmtpServer(): Promise<TestSmtpServer> {
  const received: ReceivedMessage[] = [];
  const listeners = new Set<(message: ReceivedMessage) => void>();
  const dataReplies: ScriptedReply[] = [];
  const rejected = new Map<string, ScriptedReply>();
  let authReply: ScriptedReply | undefined;
  let authAttempts = 0;
  const server = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    // Loopback has no PTR record; a reverse lookup per connection would only slow every test down.
    disableReverseLookup: true,
    logger: false,
    onAuth(auth, _session, callback) {
      authAttempts += 1;
      if (authReply) return callback(smtpError(authReply));
      if (auth.password !== PASSWORD)
        return callback(smtpError({ code: 535, message: '5.7.8 Bad credentials' }));
      callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      const reply = rejected.get(address.address.toLowerCase());
      callback(reply ? smtpError(reply) : undefined);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const scripted = dataReplies.shift();
        if (scripted) return callback(smtpError(scripted));
        const raw = Buffer.concat(chunks).toString('utf8');
        const message: ReceivedMessage = {
          messageId: header(raw, 'Message-ID'),
          subject: header(raw, 'Subject'),
          to: session.envelope.rcptTo.map((r) => r.address),
          receivedAt: Date.now(),
        };
        received.push(message);
        for (const listener of listeners) listener(message);
        callback();
      });
    },
  });
  // A worker killed mid-session resets its connection; that is expected here, not a test failure.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get authAttempts() {
      return authAttempts;
    },
    replyToNextData: (...replies) => dataReplies.push(...replies),
    refuseAuth: (reply) => {
      authReply = reply;
    },
    rejectRecipient: (address, reply) => rejected.set(address.toLowerCase(), reply),
    async waitFor(count, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > until)
          throw new Error(`expected ${count} messages, the server has ${received.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Resolves once `predicate` holds, polling every 10 ms (bounded). */
export async function eventually(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
