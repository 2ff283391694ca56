// Test helper (not part of the published entry): a hand-rolled SMTP peer on 127.0.0.1 that can
// misbehave at any step — never greet, never answer a command, stop reading mid-DATA, trickle a
// reply — which a well-behaved server library cannot be made to do.
import net from 'node:net';
import { closedBy } from '@mailplug/testkit';
import { afterEach } from 'vitest';

/** What the peer does at one step: `undefined` = the normal reply, `null` = say nothing, a string = send it. */
export type RawReply = string | null | undefined;

export interface RawSmtpSession {
  readonly socket: net.Socket;
  /** Command lines received so far (message content excluded). */
  readonly commands: string[];
  /** Writes raw text (add your own CRLF). */
  write(text: string): void;
}

export interface RawSmtpBehaviour {
  /** The greeting. Default `220 raw.test ESMTP`. `null`: accept TCP and never greet. */
  greeting?(session: RawSmtpSession): RawReply;
  /** Any command line (EHLO, AUTH..., MAIL FROM..., DATA...). */
  command?(line: string, session: RawSmtpSession): RawReply;
  /** After `354` was sent, before any content is read. */
  dataStarted?(session: RawSmtpSession): void;
  /** The reply to the end-of-data `.`. Default `250 2.0.0 queued`. */
  dataEnded?(session: RawSmtpSession): RawReply;
}

export interface RawSmtpServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly sessions: readonly RawSmtpSession[];
  /** Messages whose end-of-data `.` arrived. */
  readonly messagesReceived: number;
  close(): Promise<void>;
}

function defaultReply(line: string): string {
  const verb = line.split(' ')[0]?.toUpperCase();
  switch (verb) {
    case 'EHLO':
      return '250-raw.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n';
    case 'HELO':
      return '250 raw.test\r\n';
    case 'AUTH':
      return '235 2.7.0 Authentication successful\r\n';
    case 'DATA':
      return '354 End data with <CR><LF>.<CR><LF>\r\n';
    case 'QUIT':
      return '221 2.0.0 Bye\r\n';
    case 'RSET':
    case 'NOOP':
    case 'MAIL':
    case 'RCPT':
      return '250 2.0.0 OK\r\n';
    default:
      return '502 5.5.2 Command not implemented\r\n';
  }
}

/** Starts a scripted SMTP peer; closed by the `afterEach` that `rawSmtpServersPerTest` registers. */
export async function startRawSmtpServer(behaviour: RawSmtpBehaviour = {}): Promise<RawSmtpServer> {
  const sessions: RawSmtpSession[] = [];
  const sockets = new Set<net.Socket>();
  let messagesReceived = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const session: RawSmtpSession = {
      socket,
      commands: [],
      write: (text) => {
        if (!socket.destroyed) socket.write(text);
      },
    };
    sessions.push(session);
    const send = (reply: RawReply, fallback: string) => {
      if (reply === null) return;
      session.write(reply ?? fallback);
    };
    send(behaviour.greeting?.(session), '220 raw.test ESMTP\r\n');
    let buffered = '';
    let inData = false;
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n'); end !== -1; end = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            messagesReceived++;
            send(behaviour.dataEnded?.(session), '250 2.0.0 queued\r\n');
          }
          continue;
        }
        session.commands.push(line);
        const reply = behaviour.command?.(line, session);
        send(reply, defaultReply(line));
        if (reply === undefined && /^DATA$/i.test(line)) {
          inData = true;
          behaviour.dataStarted?.(session);
        }
        if (reply === undefined && /^QUIT$/i.test(line)) socket.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    sessions,
    get messagesReceived() {
      return messagesReceived;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Registers an `afterEach` that closes the peers started during a test; returns the starter. */
export function rawSmtpServersPerTest(): (behaviour?: RawSmtpBehaviour) => Promise<RawSmtpServer> {
  return closedBy(afterEach, startRawSmtpServer);
}

/** Sessions that got as far as EHLO (connect()'s reachability check opens one that never speaks). */
export function smtpSessions(server: RawSmtpServer): RawSmtpSession[] {
  return server.sessions.filter((s) => s.commands.some((c) => /^EHLO /i.test(c)));
}
