import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Socket } from 'node:net';
import {
  type AuthProvider,
  type AuthSession,
  createMemorySecretStore,
  createMemoryTokenStore,
  type SessionChange,
  type SignInCallbackParams,
  type SignInStart,
  type TokenStore,
} from '@mailplug/core';
import {
  type Emulator,
  type EmulatorOptions,
  googleSettingsOverHttp,
  startEmulator,
} from '@mailplug/emulator';
import { smtp } from '@mailplug/protocol-smtp';
import { afterAll, afterEach, expect } from 'vitest';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|localhost)$/;

/**
 * Records the destination of every TCP connection this process opens (node-fetch, undici,
 * nodemailer and net all end in `Socket.prototype.connect`), so a test can prove that nothing
 * left the loopback interface.
 */
export function watchOutboundConnections(): {
  destinations: string[];
  nonLoopback(): string[];
  restore(): void;
} {
  const destinations: string[] = [];
  const original = Socket.prototype.connect;
  Socket.prototype.connect = function patched(this: Socket, ...args: unknown[]) {
    const first = args[0];
    let host: string | undefined;
    if (first && typeof first === 'object') {
      const o = first as { host?: string; path?: string };
      host = o.path ? `unix:${o.path}` : (o.host ?? 'localhost');
    } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
      host = typeof args[1] === 'string' ? args[1] : 'localhost';
    } else if (typeof first === 'string') {
      host = `unix:${first}`;
    }
    destinations.push(host ?? 'unknown');
    return (original as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof Socket.prototype.connect;
  return {
    destinations,
    nonLoopback: () => destinations.filter((d) => !d.startsWith('unix:') && !LOOPBACK.test(d)),
    restore() {
      Socket.prototype.connect = original;
    },
  };
}

/**
 * Per-file e2e scaffolding: spies on outbound sockets and, after all tests, restores the spy and
 * asserts nothing left loopback; every handle passed to `track` is disposed after each test.
 */
export function loopbackSessions<S extends AuthSession = AuthSession>() {
  const net = watchOutboundConnections();
  const open: SessionHandle<S>[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.session.dispose();
  });
  afterAll(() => {
    net.restore();
    expect(net.nonLoopback()).toEqual([]);
  });
  return {
    net,
    track(handle: SessionHandle<S>): SessionHandle<S> {
      open.push(handle);
      return handle;
    },
  };
}

export const MAIL_SCOPE = 'https://mail.google.com/';

export interface GoogleTestBed {
  readonly emulator: Emulator;
  /** Google base on loopback http (`http://127.0.0.1:<port>/google`). */
  readonly httpBase: string;
  /** `gmail-oauth` settings pointing at the emulator over plain loopback http. */
  readonly settings: Record<string, unknown>;
  /** The same over https, trusting the emulator CA through the `ca` setting. */
  readonly httpsSettings: Record<string, unknown>;
  readonly secrets: Record<string, string>;
  stop(): Promise<void>;
}

/** A copy of `record` without `keys`. */
function omit(record: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)));
}

export async function startGoogleTestBed(identity: EmulatorOptions['identity'] = {}): Promise<GoogleTestBed> {
  const emulator = await startEmulator({
    identity: { autoApprove: 'first-user', ...identity },
    // Short-lived test tokens must not be refused as "about to expire".
    mail: { tokenExpirySkewMs: 0 },
  });
  const ready = emulator.settings['gmail-oauth'];
  const httpBase = `${emulator.urls.http}/google`;
  // The emulator's ready-made settings are used as-is (they validate against this package's schema);
  // tests only swap the registered web redirect for a loopback one and leave `mailbox` unset so
  // that each test decides who signs in.
  const httpsSettings = omit({ ...ready.settings, redirectUri: 'http://127.0.0.1/callback' }, 'mailbox');
  // The same endpoints on the emulator's plain loopback http listener, which needs no CA.
  const settings = googleSettingsOverHttp(emulator.urls, httpsSettings);
  return {
    emulator,
    httpBase,
    settings,
    httpsSettings,
    secrets: { ...ready.secrets },
    stop: () => emulator.stop(),
  };
}

export interface SessionHandle<S extends AuthSession = AuthSession> {
  readonly session: S;
  readonly store: TokenStore;
  readonly changes: SessionChange[];
  /** The session's clock offset (ms), moved together with the emulator's. */
  advance(seconds: number): void;
}

export function bindSession<S extends AuthSession>(
  definition: AuthProvider,
  bed: GoogleTestBed,
  settings: Record<string, unknown>,
  extra: { accountId?: string; secrets?: Record<string, string>; store?: TokenStore } = {},
): SessionHandle<S> {
  let offsetMs = 0;
  const store = extra.store ?? createMemoryTokenStore();
  const session = definition.createSession({
    accountId: extra.accountId ?? 'acct',
    settings,
    secrets: createMemorySecretStore({ ...bed.secrets, ...extra.secrets }),
    tokenStore: store,
    now: () => Date.now() + offsetMs,
  }) as S;
  const changes: SessionChange[] = [];
  session.onDidChangeSession((c) => changes.push(c));
  return {
    session,
    store,
    changes,
    advance(seconds) {
      offsetMs += seconds * 1000;
      bed.emulator.identity.advanceClock(seconds);
    },
  };
}

/** A "browser" GET that does not follow redirects and trusts `ca` for https. */
export function browserGet(
  url: string,
  ca?: string,
): Promise<{ status: number; location?: string; body: string }> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(target, { method: 'GET', ...(ca ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          ...(res.headers.location ? { location: res.headers.location } : {}),
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Headless consent: follow the authorize URL once (auto-approve) and read the redirect's query. */
export async function headlessAuthorize(start: SignInStart, ca?: string): Promise<SignInCallbackParams> {
  const res = await browserGet(start.url, ca);
  if (res.status !== 302 && res.status !== 303)
    throw new Error(`authorize answered ${res.status}: ${res.body}`);
  if (!res.location) throw new Error('authorize redirect had no Location');
  return Object.fromEntries(new URL(res.location).searchParams);
}

/**
 * Interactive consent through the emulator's page with some boxes unticked (Google's granular
 * consent): GET the page, then POST the form with only `scopes` ticked.
 */
export async function consentWithScopes(
  bed: GoogleTestBed,
  start: SignInStart,
  scopes: readonly string[],
): Promise<SignInCallbackParams> {
  const page = await (await fetch(start.url, { redirect: 'manual' })).text();
  const txn = /name="txn" value="([^"]+)"/.exec(page)?.[1];
  if (!txn) throw new Error('no consent form');
  const form = new URLSearchParams({ txn, user: bed.emulator.users[0]?.email ?? '', decision: 'approve' });
  for (const s of scopes) form.append('scope', s);
  const res = await fetch(`${bed.emulator.urls.http}/consent`, {
    method: 'POST',
    body: form,
    redirect: 'manual',
  });
  const location = res.headers.get('location');
  if (!location) throw new Error(`consent answered ${res.status}`);
  return Object.fromEntries(new URL(location).searchParams);
}

/** Sends one message through the emulator's SMTP server with the session as credential source. */
export async function sendThroughEmulator(
  bed: GoogleTestBed,
  session: AuthSession,
  subject: string,
  from?: string,
) {
  const server = bed.emulator.settings['gmail-oauth'].servers?.smtp;
  if (!server) throw new Error('emulator started without mail servers');
  const connection = await smtp.connect(server, session, { pool: false });
  try {
    return await connection.send({
      from: from ?? 'alice@contoso.test',
      to: 'bob@contoso.test',
      subject,
      text: 'Sent by the auth-gmail-oauth end-to-end tests.',
    });
  } finally {
    await connection.dispose();
  }
}

export function subjectsDelivered(bed: GoogleTestBed): string[] {
  return (bed.emulator.mail?.all() ?? []).map((m) => m.subject ?? '');
}

/** A credential that must be OAuth (narrows the MailCredential union for assertions). */
export async function oauthCredential(session: AuthSession, protocol = 'smtp') {
  const credential = await session.getCredential({ protocol });
  if (credential.kind !== 'oauth2') throw new Error(`expected an oauth2 credential, got ${credential.kind}`);
  return credential;
}
