import type { AddressInfo } from 'node:net';
import type { ServerSettings } from '@mailplug/core';
import {
  SMTPServer,
  type SMTPServerAddress,
  type SMTPServerAuthentication,
  type SMTPServerOptions,
  type SMTPServerSession,
} from 'smtp-server';
import type { CertificateAuthority } from './certificates/authority.js';
import {
  issueTestServerCertificate,
  type TestServerCertificateOptions,
} from './certificates/test-server-certificate.js';
import { type CleanupHook, closedBy } from './test-helpers.js';

export type { TestServerCertificateOptions } from './certificates/test-server-certificate.js';

/** How the test server protects the connection: STARTTLS offered, implicit TLS, or plaintext only. */
export type SmtpTestSecurity = 'starttls' | 'tls' | 'none';
export type SmtpTestAuthMethod = 'PLAIN' | 'LOGIN' | 'XOAUTH2';

/** A scripted SMTP reply, e.g. `{ code: 535, message: '5.7.139 Authentication unsuccessful' }`. */
export interface SmtpScriptedReply {
  readonly code: number;
  readonly message: string;
}

export interface SmtpTestServerOptions {
  /** Default `starttls`. `none` disables STARTTLS entirely (a server that does not offer it). */
  readonly security?: SmtpTestSecurity;
  /** Mechanisms offered in EHLO. Default: PLAIN, LOGIN, XOAUTH2. */
  readonly authMethods?: readonly SmtpTestAuthMethod[];
  /** user → password, for PLAIN and LOGIN. */
  readonly users?: Readonly<Record<string, string>>;
  /**
   * Decides whether an XOAUTH2 token is good. A rejection follows the real servers: a `334` with the
   * base64 JSON challenge `{"status":"401","schemes":"bearer"}`, then `535` after the client's empty line.
   * Without this callback every XOAUTH2 attempt is rejected.
   */
  readonly validateToken?: (user: string, accessToken: string) => boolean | Promise<boolean>;
  /** Offer AUTH over a plaintext connection (only meaningful with `security: 'none'`). Default true. */
  readonly allowInsecureAuth?: boolean;
  /** Accept mail without AUTH. Default false (MAIL FROM without AUTH gets 530). */
  readonly authOptional?: boolean;
  /** Certificate options (e.g. `{ expired: true }`, `{ hostnames: ['other.test'], ips: [] }`, `{ selfSigned: true }`). */
  readonly certificate?: TestServerCertificateOptions;
  /** Bring your own CA (`createCertificateAuthority()`; default: one shared in-memory CA per process). */
  readonly certificateAuthority?: CertificateAuthority;
}

/** A message the server accepted. */
export interface CapturedSmtpMessage {
  readonly envelope: { readonly from: string | false; readonly to: readonly string[] };
  /** The raw RFC 5322 message as received (dot-unstuffed). */
  readonly raw: string;
  /** The authenticated user, if any. */
  readonly authUser?: string;
  readonly authMethod?: SmtpTestAuthMethod;
}

/** Queue replies and per-address rejections; one-shot replies are consumed in order. */
export interface SmtpReplyScript {
  /** The next AUTH attempt (any mechanism) gets this reply instead of being checked. */
  nextAuth(reply: SmtpScriptedReply): void;
  /** The next MAIL FROM gets this reply (e.g. `530 5.7.57 Client not authenticated`). */
  nextMailFrom(reply: SmtpScriptedReply): void;
  /** The next message's DATA gets this reply (e.g. `451 4.3.0 Try again later`) and is not captured. */
  nextMail(reply: SmtpScriptedReply): void;
  /** Every RCPT TO for `address` (case-insensitive) is rejected with this reply until cleared. */
  rejectRecipient(address: string, code: number, message: string): void;
  /** Forget every scripted reply and rejection. */
  clear(): void;
}

export interface SmtpTestServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly security: SmtpTestSecurity;
  /** PEM of the CA that issued the server certificate; pass as `tls.ca` to clients. */
  readonly ca: string;
  /** Core `ServerSettings` for this server (host, port, security, `tls.ca`, a 5 s timeout). */
  readonly settings: ServerSettings;
  readonly messages: readonly CapturedSmtpMessage[];
  /** AUTH attempts per mechanism, including rejected ones (an XOAUTH2 retry counts twice). */
  readonly authAttempts: Readonly<Record<SmtpTestAuthMethod, number>>;
  /** Successful AUTH commands per mechanism. */
  readonly authSuccesses: Readonly<Record<SmtpTestAuthMethod, number>>;
  /** TCP connections accepted so far. */
  readonly connectionCount: number;
  readonly script: SmtpReplyScript;
  /** Resolves once at least `count` messages were captured. */
  waitForMessages(count: number): Promise<readonly CapturedSmtpMessage[]>;
  /** Clears messages, counters and script. */
  reset(): void;
  close(): Promise<void>;
}

function smtpError(reply: SmtpScriptedReply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}

function zeroCounts(): Record<SmtpTestAuthMethod, number> {
  return { PLAIN: 0, LOGIN: 0, XOAUTH2: 0 };
}

/**
 * Starts an in-process SMTP server (nodemailer's `smtp-server`) on `127.0.0.1` and an ephemeral port,
 * with a certificate from a generated test CA, PLAIN/LOGIN/XOAUTH2, scriptable replies and captured
 * messages. Used by `@mailplug/protocol-smtp` and any third-party send protocol's tests.
 *
 * @example
 * const server = await startSmtpTestServer({
 *   security: 'starttls',
 *   users: { 'ann@example.test': 'correct horse' },
 *   validateToken: (user, token) => token === 'good-token',
 * });
 * server.script.nextAuth({ code: 535, message: '5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.' });
 * // ...connect a client to server.host:server.port with tls.ca = server.ca...
 * expect(server.messages[0]?.envelope.to).toEqual(['bob@example.test']);
 * await server.close();
 */
export async function startSmtpTestServer(options: SmtpTestServerOptions = {}): Promise<SmtpTestServer> {
  const security = options.security ?? 'starttls';
  const {
    caPem,
    certPem: cert,
    keyPem: key,
  } = issueTestServerCertificate(options.certificate, options.certificateAuthority);
  const users = options.users ?? {};

  const messages: CapturedSmtpMessage[] = [];
  let authAttempts = zeroCounts();
  let authSuccesses = zeroCounts();
  let connectionCount = 0;
  let authReplies: SmtpScriptedReply[] = [];
  let mailFromReplies: SmtpScriptedReply[] = [];
  let dataReplies: SmtpScriptedReply[] = [];
  const rejectedRecipients = new Map<string, SmtpScriptedReply>();
  const authMethodBySession = new Map<string, SmtpTestAuthMethod>();
  let waiters: { count: number; resolve: () => void }[] = [];

  const notify = () => {
    waiters = waiters.filter((w) => {
      if (messages.length >= w.count) w.resolve();
      return messages.length < w.count;
    });
  };

  const onAuth: SMTPServerOptions['onAuth'] = (auth: SMTPServerAuthentication, session, callback) => {
    const method = auth.method as SmtpTestAuthMethod;
    authAttempts[method] = (authAttempts[method] ?? 0) + 1;
    const scripted = authReplies.shift();
    if (scripted) return callback(smtpError(scripted));
    const succeed = (user: string) => {
      authSuccesses[method] = (authSuccesses[method] ?? 0) + 1;
      authMethodBySession.set(session.id, method);
      callback(null, { user });
    };
    const username = auth.username ?? '';
    if (method === 'XOAUTH2') {
      Promise.resolve(
        options.validateToken ? options.validateToken(username, auth.accessToken ?? '') : false,
      ).then(
        (ok) => (ok ? succeed(username) : callback(null, { data: { status: '401', schemes: 'bearer' } })),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
      return;
    }
    if (Object.hasOwn(users, username) && users[username] === auth.password) return succeed(username);
    callback(smtpError({ code: 535, message: '5.7.8 Error: authentication failed: Invalid credentials' }));
  };

  const server = new SMTPServer({
    secure: security === 'tls',
    key,
    cert,
    logger: false,
    // Tests close servers with clients still connected; do not wait the default 30 s for them.
    closeTimeout: 250,
    authMethods: [...(options.authMethods ?? ['PLAIN', 'LOGIN', 'XOAUTH2'])],
    authOptional: options.authOptional ?? false,
    allowInsecureAuth: security === 'none' ? (options.allowInsecureAuth ?? true) : false,
    disabledCommands: security === 'none' ? ['STARTTLS'] : [],
    onConnect(_session, callback) {
      connectionCount++;
      callback();
    },
    onAuth,
    onMailFrom(_address: SMTPServerAddress, _session: SMTPServerSession, callback) {
      const scripted = mailFromReplies.shift();
      callback(scripted ? smtpError(scripted) : null);
    },
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback) {
      const scripted = rejectedRecipients.get(address.address.toLowerCase());
      callback(scripted ? smtpError(scripted) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const scripted = dataReplies.shift();
        if (scripted) return callback(smtpError(scripted));
        const user = typeof session.user === 'string' ? session.user : undefined;
        const method = authMethodBySession.get(session.id);
        messages.push({
          envelope: {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : false,
            to: session.envelope.rcptTo.map((r) => r.address),
          },
          raw: Buffer.concat(chunks).toString('utf8'),
          ...(user ? { authUser: user } : {}),
          ...(method ? { authMethod: method } : {}),
        });
        notify();
        callback(null, 'Message queued');
      });
    },
    onClose(session) {
      authMethodBySession.delete(session.id);
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // A client dropping its socket must not crash the test process.
  server.on('error', () => undefined);
  const port = (server.server.address() as AddressInfo).port;

  const script: SmtpReplyScript = {
    nextAuth: (reply) => void authReplies.push(reply),
    nextMailFrom: (reply) => void mailFromReplies.push(reply),
    nextMail: (reply) => void dataReplies.push(reply),
    rejectRecipient: (address, code, message) =>
      void rejectedRecipients.set(address.toLowerCase(), { code, message }),
    clear() {
      authReplies = [];
      mailFromReplies = [];
      dataReplies = [];
      rejectedRecipients.clear();
    },
  };

  return {
    host: '127.0.0.1',
    port,
    security,
    ca: caPem,
    settings: { host: '127.0.0.1', port, security, tls: { ca: caPem }, timeoutMs: 5000 },
    messages,
    get authAttempts() {
      return authAttempts;
    },
    get authSuccesses() {
      return authSuccesses;
    },
    get connectionCount() {
      return connectionCount;
    },
    script,
    waitForMessages(count) {
      if (messages.length >= count) return Promise.resolve(messages);
      return new Promise((resolve) => waiters.push({ count, resolve: () => resolve(messages) }));
    },
    reset() {
      messages.length = 0;
      authAttempts = zeroCounts();
      authSuccesses = zeroCounts();
      connectionCount = 0;
      script.clear();
    },
    close() {
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Returns a function that starts SMTP test servers, all closed by the hook you pass (your runner's
 * `afterEach`, or `afterAll` to share them across a file).
 *
 * @example
 * const startServer = smtpTestServersClosedBy(afterEach);
 * it('sends', async () => {
 *   const server = await startServer({ users: { 'ann@example.test': 'pw' } });
 *   await protocol.connect(server.settings, passwordCredentials('ann@example.test', 'pw'));
 * });
 */
export function smtpTestServersClosedBy(
  after: CleanupHook,
): (options?: SmtpTestServerOptions) => Promise<SmtpTestServer> {
  return closedBy(after, startSmtpTestServer);
}
