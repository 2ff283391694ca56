import {
  assertCredentialTransport,
  type CredentialSource,
  type FetchOptions,
  type MailCredential,
  type MessageSummary,
  type ReceiveConnection,
  registerSecret,
  type ServerSettings,
} from '@mailplug/core';
import { classifyErr, Pop3ErrorCode, pop3Error } from './errors.js';
import {
  type Capabilities,
  DEFAULT_LIMITS,
  messageTooLarge,
  type Pop3Limits,
  parseCapabilities,
  parseSizeListing,
  parseUidlListing,
} from './parser.js';
import { openTransport, type Pop3Transport } from './transport.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

/** How to log in with a password: `auto` uses AUTH PLAIN when advertised, else USER/PASS. */
export type PasswordMechanism = 'auto' | 'plain' | 'user';

export interface Pop3SessionOptions {
  readonly passwordMechanism?: PasswordMechanism;
  readonly limits?: Partial<Pop3Limits>;
  readonly signal?: AbortSignal;
  /** Called as each connection stage completes (used by `probe`). */
  readonly onStage?: (stage: Pop3Stage, data?: Record<string, unknown>) => void;
}

export type Pop3Stage = 'tcp' | 'tls' | 'greeting' | 'capabilities' | 'starttls' | 'credential' | 'auth';

/** A POP3 mailbox session: the spec's ReceiveConnection plus POP3's own TOP and RSET. */
export interface Pop3Connection extends ReceiveConnection {
  /** Headers plus the first `lines` body lines (POP3 TOP). */
  top(id: string, lines: number, options?: FetchOptions): Promise<Uint8Array>;
  /** Undo every `delete` of this session (POP3 RSET). */
  reset(): Promise<void>;
  readonly capabilities: Capabilities;
}

/** Opens, secures and authenticates a session. A fresh credential is requested every time. */
export async function openPop3Session(
  server: ServerSettings,
  credentials: CredentialSource,
  options: Pop3SessionOptions = {},
): Promise<Pop3Connection> {
  const limits: Pop3Limits = { ...DEFAULT_LIMITS, ...options.limits };
  const stage = options.onStage ?? (() => {});
  assertCredentialTransport(server, { tls: 995, starttls: 110 });
  const { transport } = await openTransport(server, limits, options.signal);
  try {
    stage('tcp');
    if (server.security === 'tls') stage('tls');
    const greeting = await transport.readStatus('the greeting');
    if (greeting.kind !== 'ok')
      throw classifyErr(
        'greeting',
        greeting.text,
        greeting.kind === 'err' ? greeting.responseCode : undefined,
        'transaction',
      );
    stage('greeting', { greeting: greeting.text.slice(0, 120) });

    let caps = await readCapabilities(transport, limits);
    stage('capabilities', { capabilities: caps.raw });
    if (server.security === 'starttls') {
      if (!caps.stls) {
        throw pop3Error(
          Pop3ErrorCode.StartTlsUnavailable,
          'admin',
          `POP3 server ${server.host}:${server.port} does not offer STLS`,
          'Use security "tls" on port 995, or enable STLS on the server; Mailplug never falls back to plain text.',
          { details: { capabilities: caps.raw } },
        );
      }
      transport.writeLine('STLS');
      const reply = await transport.readStatus('STLS');
      if (reply.kind !== 'ok') {
        throw pop3Error(
          Pop3ErrorCode.StartTlsUnavailable,
          'admin',
          `POP3 server refused STLS: ${reply.text}`,
          'Use security "tls" on port 995, or fix the server TLS configuration.',
        );
      }
      await transport.upgradeToTls();
      stage('starttls');
      // RFC 2595: capabilities learnt before TLS must be discarded.
      caps = await readCapabilities(transport, limits);
    }

    let credential = await credentials.getCredential({
      protocol: 'pop3',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    rememberSecret(credential);
    stage('credential', { kind: credential.kind, user: credential.user });
    if (credential.kind === 'oauth2') {
      requireMechanism(caps, 'XOAUTH2');
      const first = await authXoauth2(transport, credential);
      if (first) {
        // One retry with a token that bypasses any cache: the first may have been revoked early.
        credential = await credentials.getCredential({
          protocol: 'pop3',
          forceRefresh: true,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        rememberSecret(credential);
        if (credential.kind !== 'oauth2') throw first;
        const second = await authXoauth2(transport, credential);
        if (second) throw second;
      }
    } else if (credential.kind === 'password') {
      await authPassword(
        transport,
        caps,
        credential.user,
        credential.password,
        options.passwordMechanism ?? 'auto',
      );
    } else {
      throw pop3Error(
        Pop3ErrorCode.CredentialUnsupported,
        'developer',
        'POP3 received a credential kind it cannot use',
        'Pair the POP3 protocol with a password or OAuth 2.0 auth provider.',
      );
    }
    stage('auth', { mechanism: credential.kind === 'oauth2' ? 'XOAUTH2' : 'password' });
    return createConnection(transport, caps, limits);
  } catch (error) {
    transport.destroy();
    throw error;
  }
}

function rememberSecret(credential: MailCredential): void {
  registerSecret(credential.kind === 'oauth2' ? credential.accessToken : credential.password);
}

async function readCapabilities(transport: Pop3Transport, limits: Pop3Limits): Promise<Capabilities> {
  transport.writeLine('CAPA');
  const reply = await transport.readStatus('CAPA');
  // Pre-RFC 2449 servers answer -ERR; assume USER/PASS only.
  if (reply.kind !== 'ok')
    return { raw: [], stls: false, user: true, uidl: true, top: true, pipelining: false, sasl: undefined };
  return parseCapabilities(await transport.readMultiline('CAPA', limits.maxListingBytes));
}

function requireMechanism(caps: Capabilities, mechanism: string): void {
  if (caps.sasl !== undefined && !caps.sasl.includes(mechanism)) {
    throw pop3Error(
      Pop3ErrorCode.MechanismUnavailable,
      'admin',
      `POP3 server does not offer AUTH ${mechanism} (offers: ${caps.sasl.join(' ') || 'none'})`,
      'Enable OAuth (XOAUTH2) for POP3 on the server, or use a password auth provider for this account.',
      { details: { sasl: caps.sasl } },
    );
  }
}

/** Microsoft's two-step form. Returns the classified error instead of throwing, so the caller can retry. */
async function authXoauth2(
  transport: Pop3Transport,
  credential: { user: string; accessToken: string },
): Promise<Error | undefined> {
  transport.writeLine('AUTH XOAUTH2');
  const ready = await transport.readStatus('AUTH XOAUTH2', true);
  if (ready.kind === 'err') return classifyErr('AUTH XOAUTH2', ready.text, ready.responseCode, 'auth');
  if (ready.kind === 'ok')
    throw pop3Error(
      Pop3ErrorCode.Protocol,
      'admin',
      'POP3 server accepted AUTH XOAUTH2 without a token',
      'Check that host and port point at a real POP3 server.',
    );
  const blob = Buffer.from(
    `user=${credential.user}\x01auth=Bearer ${credential.accessToken}\x01\x01`,
  ).toString('base64');
  transport.writeLine(blob);
  let reply = await transport.readStatus('AUTH XOAUTH2', true);
  if (reply.kind === 'continue') {
    // A failed XOAUTH2 first sends an error challenge (base64 JSON); an empty response ends it.
    transport.writeLine('');
    reply = await transport.readStatus('AUTH XOAUTH2');
  }
  if (reply.kind === 'ok') return undefined;
  if (reply.kind === 'err') return classifyErr('AUTH XOAUTH2', reply.text, reply.responseCode, 'auth');
  return undefined;
}

async function authPassword(
  transport: Pop3Transport,
  caps: Capabilities,
  user: string,
  password: string,
  mechanism: PasswordMechanism,
): Promise<void> {
  const usePlain = mechanism === 'plain' || (mechanism === 'auto' && caps.sasl?.includes('PLAIN') === true);
  if (usePlain) {
    requireMechanism(caps, 'PLAIN');
    transport.writeLine('AUTH PLAIN');
    const ready = await transport.readStatus('AUTH PLAIN', true);
    if (ready.kind === 'err') throw classifyErr('AUTH PLAIN', ready.text, ready.responseCode, 'auth');
    transport.writeLine(Buffer.from(`\0${user}\0${password}`).toString('base64'));
    const reply = await transport.readStatus('AUTH PLAIN', true);
    if (reply.kind === 'continue') {
      transport.writeLine('*');
      const cancelled = await transport.readStatus('AUTH PLAIN');
      throw classifyErr(
        'AUTH PLAIN',
        cancelled.text,
        cancelled.kind === 'err' ? cancelled.responseCode : undefined,
        'auth',
      );
    }
    if (reply.kind === 'err') throw classifyErr('AUTH PLAIN', reply.text, reply.responseCode, 'auth');
    return;
  }
  transport.writeLine(`USER ${user}`);
  const userReply = await transport.readStatus('USER');
  if (userReply.kind === 'err') throw classifyErr('USER', userReply.text, userReply.responseCode, 'auth');
  transport.writeLine(`PASS ${password}`);
  const passReply = await transport.readStatus('PASS');
  if (passReply.kind === 'err') throw classifyErr('PASS', passReply.text, passReply.responseCode, 'auth');
}

function createConnection(transport: Pop3Transport, caps: Capabilities, limits: Pop3Limits): Pop3Connection {
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  let closing: Promise<void> | undefined;
  let index: Map<string, { number: number; size: number }> | undefined;
  const deleted = new Set<string>();

  /** Commands are strictly sequential on one POP3 socket. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(() => {
      if (closed) {
        throw pop3Error(
          Pop3ErrorCode.ConnectionClosed,
          'developer',
          'POP3 connection is closed',
          'Open a new connection with protocol.connect(); a closed one cannot be reused.',
        );
      }
      return fn();
    });
    queue = next.catch(() => {});
    return next;
  };

  /** Reads a status line and turns `-ERR` into a classified MailplugError. */
  async function expectOk(label: string): Promise<string> {
    const reply = await transport.readStatus(label);
    if (reply.kind !== 'ok')
      throw classifyErr(
        label,
        reply.text,
        reply.kind === 'err' ? reply.responseCode : undefined,
        'transaction',
      );
    return reply.text;
  }

  async function simple(command: string, label = command): Promise<string> {
    transport.writeLine(command);
    return expectOk(label);
  }

  async function multi(
    command: string,
    label: string,
    maxBytes: number,
    onTooLarge?: () => Error,
  ): Promise<Uint8Array> {
    await simple(command, label);
    return transport.readMultiline(label, maxBytes, onTooLarge);
  }

  /**
   * UIDL and LIST. With PIPELINING (RFC 2449) both go out in one write, saving a round trip; both
   * replies are read off the wire before either is parsed, so a malformed or refused reply never
   * leaves the other one unread (the session stays in step).
   */
  async function loadIndex(): Promise<Map<string, { number: number; size: number }>> {
    const pipelined = caps.pipelining;
    if (pipelined) transport.writeLines(['UIDL', 'LIST']);
    else transport.writeLine('UIDL');
    const reply = await transport.readStatus('UIDL');
    if (reply.kind !== 'ok') {
      if (pipelined) {
        // LIST's reply is on its way: read it (and drop it) before reporting.
        const list = await transport.readStatus('LIST');
        if (list.kind === 'ok') await transport.readMultiline('LIST', limits.maxListingBytes);
      }
      throw pop3Error(
        Pop3ErrorCode.UidlUnsupported,
        'admin',
        `POP3 server does not support UIDL: ${reply.text}`,
        'Use a server with UIDL (RFC 1939 optional command) or switch the account to IMAP; stable ids are required.',
      );
    }
    const uidlBody = await transport.readMultiline('UIDL', limits.maxListingBytes);
    let listBody: Uint8Array;
    if (pipelined) {
      await expectOk('LIST');
      listBody = await transport.readMultiline('LIST', limits.maxListingBytes);
    } else {
      listBody = await multi('LIST', 'LIST', limits.maxListingBytes);
    }
    const uids = parseUidlListing(uidlBody);
    const sizes = parseSizeListing(listBody);
    const map = new Map<string, { number: number; size: number }>();
    for (const [number, uid] of uids) map.set(uid, { number, size: sizes.get(number) ?? 0 });
    index = map;
    return map;
  }

  async function locate(id: string) {
    const entry = (index ?? (await loadIndex())).get(id);
    if (!entry || deleted.has(id)) {
      throw pop3Error(
        Pop3ErrorCode.MessageNotFound,
        'developer',
        `No message with id ${id} in this POP3 session`,
        'Call list() first and pass one of its ids; deleted messages cannot be fetched again.',
        { details: { id } },
      );
    }
    return entry;
  }

  const connection: Pop3Connection = {
    direction: 'receive',
    capabilities: caps,
    list: () =>
      serial(async () => {
        const map = await loadIndex();
        return [...map]
          .filter(([id]) => !deleted.has(id))
          .sort((a, b) => a[1].number - b[1].number)
          .map(([id, { size }]): MessageSummary => ({ id, size }));
      }),
    fetch: (id, options) =>
      serial(async () => {
        const entry = await locate(id);
        const maxBytes = options?.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
        if (entry.size > maxBytes) throw messageTooLarge(id, entry.size, maxBytes);
        // The LIST size may be approximate (LF vs CRLF); the collector enforces the cap on the wire too.
        return multi(`RETR ${entry.number}`, 'RETR', maxBytes, () =>
          messageTooLarge(id, undefined, maxBytes),
        );
      }),
    top: (id, lines, options) =>
      serial(async () => {
        if (!Number.isInteger(lines) || lines < 0)
          throw new RangeError('lines must be a non-negative integer');
        const entry = await locate(id);
        const maxBytes = options?.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
        return multi(`TOP ${entry.number} ${lines}`, 'TOP', maxBytes, () =>
          messageTooLarge(id, undefined, maxBytes),
        );
      }),
    delete: (id) =>
      serial(async () => {
        const entry = await locate(id);
        await simple(`DELE ${entry.number}`, 'DELE');
        deleted.add(id);
      }),
    reset: () =>
      serial(async () => {
        await simple('RSET');
        deleted.clear();
      }),
    close: () =>
      (closing ??= serial(async () => {
        closed = true;
        try {
          // QUIT enters the UPDATE state: only now does the server remove deleted messages.
          await simple('QUIT');
        } finally {
          await transport.end();
        }
      })),
    dispose() {
      // No QUIT: deletions of this session are not committed.
      closed = true;
      transport.destroy();
    },
  };
  return connection;
}
