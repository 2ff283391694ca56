import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';

const MAX_LINE = 64 * 1024;

/**
 * Pull-style reader/writer over a socket for the hand-written POP3 and IMAP servers: a session
 * loop awaits `readLine()` / `readBytes()`; `startTls()` swaps in a TLS socket and drops any
 * plaintext the client pipelined after the STARTTLS/STLS command (RFC 3207 style injection).
 */
export interface LineConnection {
  readonly socket: Socket;
  readonly secure: boolean;
  /** Next line without CRLF, or `null` once the peer is gone. Throws on an over-long line. */
  readLine(): Promise<string | null>;
  readBytes(count: number): Promise<Buffer | null>;
  write(data: string | Buffer): void;
  startTls(context: SecureContext): Promise<void>;
  close(): void;
  /** Resolves when the connection has ended. */
  closed: Promise<void>;
}

export class LineTooLongError extends Error {}

export function createLineConnection(initial: Socket, secure: boolean): LineConnection {
  let socket = initial;
  let isSecure = secure;
  let buffer: Buffer = Buffer.alloc(0);
  let ended = false;
  let discarding = false;
  let wake: (() => void) | null = null;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });

  const onData = (chunk: Buffer) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    wake?.();
  };
  const onEnd = () => {
    ended = true;
    wake?.();
    resolveClosed();
  };
  const attach = (target: Socket) => {
    target.on('data', onData);
    target.on('end', onEnd);
    target.on('close', onEnd);
    target.on('error', () => {
      onEnd();
      target.destroy();
    });
  };
  const detach = (target: Socket) => {
    target.off('data', onData);
    target.off('end', onEnd);
    target.off('close', onEnd);
  };
  attach(socket);

  const waitForData = () =>
    new Promise<void>((resolve) => {
      wake = () => {
        wake = null;
        resolve();
      };
    });

  return {
    get socket() {
      return socket;
    },
    get secure() {
      return isSecure;
    },
    closed,
    async readLine() {
      for (;;) {
        const lf = buffer.indexOf(0x0a);
        if (discarding) {
          // Rest of an over-long line that was already reported: drop through its end.
          buffer = lf >= 0 ? buffer.subarray(lf + 1) : Buffer.alloc(0);
          if (lf >= 0) discarding = false;
          else if (ended) return null;
          else await waitForData();
          continue;
        }
        if (lf > MAX_LINE) {
          buffer = buffer.subarray(lf + 1);
          throw new LineTooLongError('line too long');
        }
        if (lf >= 0) {
          const line = buffer.subarray(0, lf > 0 && buffer[lf - 1] === 0x0d ? lf - 1 : lf).toString('utf8');
          buffer = buffer.subarray(lf + 1);
          return line;
        }
        if (buffer.length > MAX_LINE) {
          buffer = Buffer.alloc(0);
          discarding = true;
          throw new LineTooLongError('line too long');
        }
        if (ended) return null;
        await waitForData();
      }
    },
    async readBytes(count) {
      while (buffer.length < count) {
        if (ended) return null;
        await waitForData();
      }
      const bytes = buffer.subarray(0, count);
      buffer = buffer.subarray(count);
      return bytes;
    },
    write(data) {
      if (!socket.destroyed && socket.writable) socket.write(data);
    },
    async startTls(context) {
      detach(socket);
      buffer = Buffer.alloc(0);
      const plain = socket;
      const upgraded = new TLSSocket(plain, { isServer: true, secureContext: context });
      socket = upgraded;
      isSecure = true;
      attach(upgraded);
      await new Promise<void>((resolve) => {
        upgraded.once('secure', resolve);
        upgraded.once('error', () => resolve());
        upgraded.once('close', () => resolve());
      });
    },
    close() {
      socket.end();
      setTimeout(() => socket.destroy(), 200).unref();
    },
  };
}
