/**
 * A small, honest POP3 server (RFC 1939 with CAPA, STLS, AUTH PLAIN and Microsoft-style two-step
 * AUTH XOAUTH2) for testing receive protocols: real sockets, real TLS, per-session message numbers,
 * deletions committed only by QUIT.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { ServerSettings } from '@mailplug/core';
import type { CertificateAuthority } from './certificates/authority.js';
import {
  issueTestServerCertificate,
  type TestServerCertificateOptions,
} from './certificates/test-server-certificate.js';

export interface Pop3TestServerOptions {
  /** `tls` (implicit, default), `starttls` (STLS offered) or `none` (plaintext, no STLS). */
  readonly security?: 'starttls' | 'tls' | 'none';
  /** user → password (USER/PASS and AUTH PLAIN). */
  readonly users?: Readonly<Record<string, string>>;
  /** Decides whether an XOAUTH2 token is good; without it XOAUTH2 is not offered. */
  readonly validateToken?: (user: string, accessToken: string) => boolean | Promise<boolean>;
  readonly certificate?: TestServerCertificateOptions;
  readonly certificateAuthority?: CertificateAuthority;
}

export interface Pop3TestServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly security: 'starttls' | 'tls' | 'none';
  /** PEM of the CA that issued the server certificate. */
  readonly ca: string;
  /** Core `ServerSettings` for this server (plaintext allows insecure auth). */
  readonly settings: ServerSettings;
  /** Every command line received, passwords and tokens included (tests assert on the wire). */
  readonly commands: readonly string[];
  /** Put a raw message into `user`'s maildrop; returns its unique id (UIDL). */
  deliver(user: string, raw: string): string;
  /** The messages in `user`'s maildrop (after committed deletions). */
  mailbox(user: string): readonly { readonly uid: string; readonly raw: string }[];
  close(): Promise<void>;
}

interface Stored {
  readonly uid: string;
  readonly raw: string;
}

const size = (raw: string) => Buffer.byteLength(raw, 'latin1');
const dotStuff = (raw: string) =>
  raw
    .replace(/\r?\n/g, '\r\n')
    .split('\r\n')
    .map((line) => (line.startsWith('.') ? `.${line}` : line))
    .join('\r\n');

/**
 * Starts the POP3 test server on `127.0.0.1` and an ephemeral port, with a certificate from the
 * process's in-memory test CA.
 *
 * @example
 * const server = await startPop3TestServer({ users: { 'ann@example.test': 'pw' } });
 * server.deliver('ann@example.test', 'Subject: hi\r\n\r\nhello\r\n');
 * const connection = await pop3.connect(server.settings, passwordCredentials('ann@example.test', 'pw'));
 * await server.close();
 */
export async function startPop3TestServer(options: Pop3TestServerOptions = {}): Promise<Pop3TestServer> {
  const security = options.security ?? 'tls';
  const users = options.users ?? {};
  const { caPem, certPem, keyPem } = issueTestServerCertificate(
    options.certificate,
    options.certificateAuthority,
  );
  const maildrops = new Map<string, Stored[]>();
  const commands: string[] = [];
  const sockets = new Set<net.Socket>();
  const maildrop = (user: string) => {
    let drop = maildrops.get(user.toLowerCase());
    if (!drop) {
      drop = [];
      maildrops.set(user.toLowerCase(), drop);
    }
    return drop;
  };

  const serve = (socket: net.Socket, secure: boolean) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let user: string | undefined;
    let session: (Stored & { deleted: boolean })[] | undefined;
    let pendingAuth: 'PLAIN' | 'XOAUTH2' | undefined;
    // After STLS, anything the client pipelined in plaintext is dropped, never executed.
    let upgraded = false;
    let buffer = '';
    const write = (text: string) => socket.write(text);
    const caps = () =>
      [
        'USER',
        'UIDL',
        'TOP',
        'PIPELINING',
        `SASL PLAIN${options.validateToken ? ' XOAUTH2' : ''}`,
        ...(security === 'starttls' && !secure ? ['STLS'] : []),
      ].join('\r\n');
    const loggedIn = (name: string) => {
      user = name;
      session = maildrop(name).map((m) => ({ ...m, deleted: false }));
      write('+OK maildrop locked and ready\r\n');
    };
    const message = (arg: string | undefined) => {
      const entry = session?.[Number(arg) - 1];
      return entry && !entry.deleted ? entry : undefined;
    };
    const canAuth = () => secure || security === 'none';

    const handle = async (line: string) => {
      if (upgraded) return;
      commands.push(line);
      if (pendingAuth) {
        const mechanism = pendingAuth;
        pendingAuth = undefined;
        if (line === '*') return void write('-ERR authentication cancelled\r\n');
        const decoded = Buffer.from(line, 'base64').toString('utf8');
        if (mechanism === 'PLAIN') {
          const [, name = '', password = ''] = decoded.split('\0');
          return users[name] === password
            ? loggedIn(name)
            : void write('-ERR [AUTH] invalid credentials\r\n');
        }
        const name = /^user=([^\x01]*)\x01/.exec(decoded)?.[1] ?? '';
        const token = /auth=Bearer ([^\x01]*)\x01/.exec(decoded)?.[1] ?? '';
        return (await options.validateToken?.(name, token))
          ? loggedIn(name)
          : void write('-ERR [AUTH] token rejected\r\n');
      }
      const [verb = '', ...args] = line.split(' ');
      const command = verb.toUpperCase();
      if (command === 'QUIT') {
        if (user && session) {
          const deleted = new Set(session.filter((m) => m.deleted).map((m) => m.uid));
          maildrops.set(
            user.toLowerCase(),
            maildrop(user).filter((m) => !deleted.has(m.uid)),
          );
        }
        return void socket.end('+OK bye\r\n');
      }
      if (command === 'CAPA') return void write(`+OK capability list follows\r\n${caps()}\r\n.\r\n`);
      if (command === 'NOOP') return void write('+OK\r\n');
      if (!session) {
        if (command === 'STLS' && security === 'starttls' && !secure) {
          write('+OK begin TLS negotiation\r\n');
          upgraded = true;
          socket.removeAllListeners('data');
          const secured = new tls.TLSSocket(socket, { isServer: true, cert: certPem, key: keyPem });
          return void serve(secured, true);
        }
        if (!canAuth()) return void write('-ERR [AUTH] use STLS first\r\n');
        if (command === 'USER') {
          user = args.join(' ');
          return void write('+OK\r\n');
        }
        if (command === 'PASS' && user !== undefined) {
          return users[user] === args.join(' ')
            ? loggedIn(user)
            : void write('-ERR [AUTH] invalid credentials\r\n');
        }
        if (command === 'AUTH' && (args[0] === 'PLAIN' || (args[0] === 'XOAUTH2' && options.validateToken))) {
          pendingAuth = args[0] as 'PLAIN' | 'XOAUTH2';
          if (args[1]) return handle(args[1]);
          return void write('+ \r\n');
        }
        return void write('-ERR not authenticated\r\n');
      }
      const live = session.map((m, i) => ({ m, n: i + 1 })).filter(({ m }) => !m.deleted);
      switch (command) {
        case 'STAT':
          return void write(`+OK ${live.length} ${live.reduce((sum, { m }) => sum + size(m.raw), 0)}\r\n`);
        case 'LIST':
        case 'UIDL': {
          const show = ({ m, n }: { m: Stored; n: number }) =>
            `${n} ${command === 'LIST' ? size(m.raw) : m.uid}`;
          if (args[0]) {
            const entry = message(args[0]);
            return void write(
              entry ? `+OK ${show({ m: entry, n: Number(args[0]) })}\r\n` : '-ERR no such message\r\n',
            );
          }
          return void write(`+OK\r\n${live.map((e) => `${show(e)}\r\n`).join('')}.\r\n`);
        }
        case 'RETR':
        case 'TOP': {
          const entry = message(args[0]);
          if (!entry) return void write('-ERR no such message\r\n');
          let raw = entry.raw;
          if (command === 'TOP') {
            const [head = '', body = ''] = raw.split(/\r?\n\r?\n/, 2);
            raw = `${head}\r\n\r\n${body
              .split(/\r?\n/)
              .slice(0, Number(args[1] ?? 0))
              .join('\r\n')}`;
          }
          return void write(
            `+OK ${size(raw)} octets\r\n${dotStuff(raw)}${raw.endsWith('\n') ? '' : '\r\n'}.\r\n`,
          );
        }
        case 'DELE': {
          const entry = message(args[0]);
          if (!entry) return void write('-ERR no such message\r\n');
          (entry as { deleted: boolean }).deleted = true;
          return void write('+OK deleted\r\n');
        }
        case 'RSET':
          for (const m of session) m.deleted = false;
          return void write('+OK\r\n');
        default:
          return void write('-ERR unknown command\r\n');
      }
    };

    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        queue = queue.then(() => handle(line));
      }
    });
    if (!secure || security === 'tls') write('+OK Mailplug POP3 test server ready\r\n');
  };

  const server =
    security === 'tls'
      ? tls.createServer({ cert: certPem, key: keyPem }, (socket) => serve(socket, true))
      : net.createServer((socket) => serve(socket, false));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    security,
    ca: caPem,
    settings: {
      host: '127.0.0.1',
      port,
      security,
      tls: { ca: caPem },
      timeoutMs: 5000,
      ...(security === 'none' ? { allowInsecureAuth: true } : {}),
    },
    commands,
    deliver(user, raw) {
      const uid = randomBytes(8).toString('hex');
      maildrop(user).push({ uid, raw });
      return uid;
    },
    mailbox: (user) => [...maildrop(user)],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
