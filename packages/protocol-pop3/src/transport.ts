import net from 'node:net';
import tls from 'node:tls';
import type { ServerSettings } from '@mailplug/core';
import { Pop3ErrorCode, pop3Error, protocolError, timeoutError } from './errors.js';
import { type Pop3Limits, parseStatusLine, type StatusLine } from './parser.js';
import { createMultilineBody, createReplyBuffer, type ReplyBuffer } from './reply-buffer.js';

export const DEFAULT_TIMEOUT_MS = 120_000;

/**
 * One POP3 socket: writes commands, reads replies through the pure reply buffer (status lines one
 * at a time, multi-line bodies in bulk, chunk by chunk), and turns every socket failure and silence
 * into a MailplugError. Never hangs: each read is bounded by `timeoutMs`.
 */
export interface Pop3Transport {
  readStatus(what: string, allowContinue?: boolean): Promise<StatusLine>;
  /** Reads a multi-line body after `+OK`; `maxBytes` bounds it. */
  readMultiline(what: string, maxBytes: number, onTooLarge?: () => Error): Promise<Uint8Array>;
  writeLine(line: string): void;
  /** Writes several commands in one socket write (only when the server advertises PIPELINING). */
  writeLines(lines: readonly string[]): void;
  /** Replaces the plaintext socket by TLS (STLS). Refuses if the server pipelined data after +OK. */
  upgradeToTls(): Promise<tls.TLSSocket>;
  readonly secure: boolean;
  readonly broken: boolean;
  /** Closes without anything further on the wire. */
  destroy(): void;
  /** Half-closes after QUIT and waits briefly for the server to close. */
  end(): Promise<void>;
}

export async function openTransport(
  server: ServerSettings,
  limits: Pop3Limits,
  signal?: AbortSignal,
): Promise<{ transport: Pop3Transport; socket: net.Socket }> {
  const timeoutMs = server.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const socket = await connectSocket(server, timeoutMs);
  let current: net.Socket = socket;
  let replies: ReplyBuffer = createReplyBuffer(limits.maxLineBytes);
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  let secure = server.security === 'tls';

  const fail = (error: Error) => {
    failure ??= error;
    current.destroy();
    wake?.();
  };
  const attach = (s: net.Socket) => {
    s.on('data', (chunk: Buffer) => {
      try {
        replies.push(chunk);
      } catch (error) {
        fail(error as Error);
      }
      wake?.();
    });
    s.on('error', (error) => fail(socketError(error)));
    s.on('close', () =>
      fail(
        pop3Error(
          Pop3ErrorCode.ConnectionClosed,
          'retry',
          'POP3 server closed the connection',
          'Try again; if it keeps happening, check the server log for why it drops the session.',
        ),
      ),
    );
  };
  attach(socket);
  const onAbort = () => fail(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal?.addEventListener('abort', onAbort, { once: true });
  socket.once('close', () => signal?.removeEventListener('abort', onAbort));

  /**
   * Waits until more data arrives or the connection fails, and throws the classified `TIMEOUT`
   * (action `retry`) once `deadline` passes. The expiry itself throws: a timer that merely woke
   * the caller would let a loop that re-arms its deadline (multi-line bodies) wait forever.
   */
  async function waitForData(what: string, deadline: number): Promise<void> {
    if (failure) throw failure;
    const remaining = deadline - Date.now();
    if (remaining > 0) {
      const woken = await new Promise<boolean>((resolve) => {
        // On expiry, let one poll phase run first: after a stall of the event loop, timers run
        // before I/O, and a reply already waiting in the socket must not be reported as silence.
        const timer = setTimeout(() => setImmediate(() => resolve(false)), remaining);
        wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      wake = undefined;
      if (woken) return;
    }
    const error = timeoutError(what, timeoutMs);
    fail(error);
    throw failure ?? error;
  }

  async function nextLine(what: string): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let line: Buffer | undefined;
      try {
        line = replies.readLine();
      } catch (error) {
        fail(error as Error);
        throw error;
      }
      if (line) return line;
      await waitForData(what, deadline);
    }
  }

  const transport: Pop3Transport = {
    async readStatus(what, allowContinue = false) {
      const line = await nextLine(what);
      try {
        return parseStatusLine(line, allowContinue);
      } catch (error) {
        fail(error as Error);
        throw error;
      }
    },
    async readMultiline(what, maxBytes, onTooLarge) {
      const body = createMultilineBody(maxBytes, limits.maxLineBytes, onTooLarge);
      try {
        // Everything already buffered is parsed synchronously; we only wait when the body goes on.
        // The timeout is per wait: a large body that keeps arriving is not cut off.
        while (!replies.readBody(body)) await waitForData(what, Date.now() + timeoutMs);
        return body.result();
      } catch (error) {
        // The rest of the reply is still on the wire: the session cannot continue.
        fail(error as Error);
        throw error;
      }
    },
    writeLine(line) {
      transport.writeLines([line]);
    },
    writeLines(lines) {
      if (failure) {
        throw pop3Error(
          Pop3ErrorCode.ConnectionClosed,
          'retry',
          `POP3 session is no longer usable: ${failure.message}`,
          'Open a new connection; an earlier error left this one in an unknown state.',
          { cause: failure },
        );
      }
      for (const line of lines)
        if (/[\r\n]/.test(line)) throw protocolError('refusing to send a command containing a line break');
      current.write(lines.map((line) => `${line}\r\n`).join(''));
    },
    async upgradeToTls() {
      if (replies.bufferedBytes > 0) {
        const error = protocolError('server sent data after the STLS reply (possible injection)');
        fail(error);
        throw error;
      }
      current.removeAllListeners('data');
      current.removeAllListeners('close');
      current.removeAllListeners('error');
      const upgraded = await startTls(current, server, timeoutMs);
      current = upgraded;
      replies = createReplyBuffer(limits.maxLineBytes);
      secure = true;
      attach(upgraded);
      return upgraded;
    },
    get secure() {
      return secure;
    },
    get broken() {
      return failure !== undefined;
    },
    destroy() {
      failure ??= pop3Error(
        Pop3ErrorCode.ConnectionClosed,
        'developer',
        'POP3 connection was closed',
        'Open a new connection; a closed one cannot be reused.',
      );
      current.destroy();
      wake?.();
    },
    async end() {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          current.destroy();
          resolve();
        }, 1_000);
        current.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        current.end();
      });
      transport.destroy();
    },
  };
  return { transport, socket: current };
}

function tlsOptions(server: ServerSettings): tls.ConnectionOptions {
  const servername = server.tls?.servername ?? (net.isIP(server.host) ? undefined : server.host);
  const ca = server.tls?.ca;
  return {
    ...(servername ? { servername } : {}),
    ...(ca ? { ca: typeof ca === 'string' ? ca : [...ca] } : {}),
    rejectUnauthorized: server.tls?.rejectUnauthorized ?? true,
    minVersion: 'TLSv1.2',
  };
}

function connectSocket(server: ServerSettings, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      server.security === 'tls'
        ? tls.connect({ host: server.host, port: server.port, ...tlsOptions(server) })
        : net.connect({ host: server.host, port: server.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(timeoutError('the connection', timeoutMs));
    }, timeoutMs);
    socket.once(server.security === 'tls' ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(socketError(error));
    });
  });
}

function startTls(socket: net.Socket, server: ServerSettings, timeoutMs: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const upgraded = tls.connect({ socket, host: server.host, ...tlsOptions(server) });
    const timer = setTimeout(() => {
      upgraded.destroy();
      reject(timeoutError('the TLS handshake', timeoutMs));
    }, timeoutMs);
    upgraded.once('secureConnect', () => {
      clearTimeout(timer);
      upgraded.removeAllListeners('error');
      resolve(upgraded);
    });
    upgraded.once('error', (error) => {
      clearTimeout(timer);
      upgraded.destroy();
      reject(socketError(error));
    });
  });
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|ERR_SSL|ERR_TLS|EPROTO/;

function socketError(error: Error & { code?: string }): Error {
  const code = error.code ?? '';
  if (TLS_CODES.test(code) || /certificate|handshake|ssl|tls/i.test(error.message)) {
    return pop3Error(
      Pop3ErrorCode.TlsFailed,
      'admin',
      `TLS with the POP3 server failed: ${error.message}`,
      'Check the server certificate (name, expiry, issuer) or add its CA under server.tls.ca; use port 995 for implicit TLS and 110 for STLS.',
      { cause: error, details: { errorCode: code } },
    );
  }
  return pop3Error(
    Pop3ErrorCode.ConnectionFailed,
    code === 'ENOTFOUND' || code === 'ECONNREFUSED' ? 'admin' : 'retry',
    `Could not reach the POP3 server: ${error.message}`,
    'Check the host name and port, and that a firewall allows the connection; then try again.',
    { cause: error, details: { errorCode: code } },
  );
}
