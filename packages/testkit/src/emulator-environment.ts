/**
 * The conformance suites against `@mailplug/emulator`: ready environments for the first-party
 * providers (settings, secrets, the consent page played as a user, injected faults) and the
 * emulator's mail servers and HTTPS send APIs as protocol fixtures. The emulator depends on testkit (for its
 * certificates), so testkit takes a running emulator by its shape instead of importing it.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type {
  AuthProvider,
  CredentialSource,
  ServerSettings,
  SignInCallbackParams,
  SignInStart,
} from '@mailplug/core';
import type { FaultHandle, ProviderEnvironment } from './suites/auth/auth-options.js';
import { ConformanceError } from './suites/conformance.js';
import type { MailServerFixture } from './suites/mail-protocol-checks.js';
import { tokenCredentials } from './test-helpers.js';

/** A fault injected at the emulated Entra ID, in the emulator's `inject.microsoft` terms. */
export type MicrosoftFault =
  | { readonly aadsts: number; readonly times: number }
  | { readonly status: 503; readonly times: number };

/** A fault injected at the emulated Google, in the emulator's `inject.google` terms. */
export type GoogleFault =
  | { readonly error: 'invalid_grant'; readonly description: string; readonly times: number }
  | { readonly status: 503; readonly times: number; readonly endpoint?: 'token' | 'revoke' };

/** The parts of a running `@mailplug/emulator` (its `Emulator`) that the suites use. */
export interface ConformanceEmulator {
  readonly caCertPem: string;
  readonly urls: { readonly http: string; readonly googleBase: string };
  readonly ports: { readonly imaps?: number; readonly pop3s?: number; readonly smtp?: number };
  readonly users: readonly { readonly email: string; readonly password?: string }[];
  readonly apps: readonly { readonly clientId: string; readonly public: boolean }[];
  readonly settings: Readonly<
    Record<
      string,
      {
        readonly settings: Readonly<Record<string, unknown>>;
        readonly secrets: Readonly<Record<string, string>>;
      }
    >
  >;
  readonly inject: {
    microsoft(fault: MicrosoftFault): FaultHandle;
    google(fault: GoogleFault): FaultHandle;
  };
  readonly identity: {
    readonly config: {
      readonly googleRotatesRefreshTokens: boolean;
      readonly googleServiceAccounts: readonly { readonly clientEmail: string }[];
    };
    approveDeviceCode(userCode: string, email?: string): void;
    serviceAccountKey(clientEmail: string, googleBase: string): Record<string, string>;
  };
  readonly mail?: {
    deliver(mailbox: string, raw: string): unknown;
    all(): readonly { readonly raw: Uint8Array }[];
  };
}

/**
 * Emulator options for auth provider conformance runs: Google rotates refresh tokens (so rotation
 * is checked for Google too), device codes may be polled at once, nobody is approved automatically
 * (the suite plays the consent page, "Cancel" included), and no mail servers (the auth suites do
 * not need them).
 *
 * @example
 * beforeAll(async () => { emulator = await startEmulator(conformanceEmulatorOptions); });
 */
export const conformanceEmulatorOptions = Object.freeze({
  identity: Object.freeze({
    googleRotatesRefreshTokens: true,
    deviceCodeInterval: 0,
    autoApprove: false as const,
  }),
  mail: false as const,
});

interface Reply {
  readonly status: number;
  readonly location?: string;
  readonly body: string;
}

function send(url: string, ca: string, body?: URLSearchParams): Promise<Reply> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: body ? 'POST' : 'GET',
        ...(target.protocol === 'https:' ? { ca } : {}),
        headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
        timeout: 10_000,
      },
      (res) => {
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
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url} did not answer within 10 s`)));
    req.on('error', reject);
    req.end(body?.toString());
  });
}

const unescapeHtml = (text: string) =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

function redirectQuery(reply: Reply, what: string): SignInCallbackParams {
  if (!reply.location || reply.status < 300 || reply.status >= 400) {
    throw new ConformanceError(
      `${what} answered ${reply.status} instead of redirecting back: ${reply.body.slice(0, 300)}`,
    );
  }
  return Object.fromEntries(new URL(reply.location).searchParams);
}

/** The user at the emulator's consent page: pick the first test user, Accept or Cancel. */
async function playConsent(emulator: ConformanceEmulator, start: SignInStart, decision: 'approve' | 'deny') {
  const page = await send(start.url, emulator.caCertPem);
  if (page.location) {
    if (decision === 'approve') return redirectQuery(page, 'The authorize endpoint');
    throw new ConformanceError(
      'the emulator auto-approves sign-ins; start it with conformanceEmulatorOptions so consent can be denied.',
    );
  }
  const txn = /name="txn" value="([^"]+)"/.exec(page.body)?.[1];
  if (!txn)
    throw new ConformanceError(
      `the authorize page has no consent form (status ${page.status}): ${page.body.slice(0, 300)}`,
    );
  const form = new URLSearchParams({
    txn: unescapeHtml(txn),
    user: emulator.users[0]?.email ?? '',
    decision,
  });
  for (const [, scope] of page.body.matchAll(/name="scope" value="([^"]*)"/g))
    form.append('scope', unescapeHtml(scope ?? ''));
  return redirectQuery(
    await send(new URL('/consent', start.url).href, emulator.caCertPem, form),
    'The consent page',
  );
}

const forever = Number.POSITIVE_INFINITY;

function googleEnvironment(
  emulator: ConformanceEmulator,
  base: { settings: Readonly<Record<string, unknown>>; secrets: Readonly<Record<string, string>> },
  interactive: boolean,
): ProviderEnvironment {
  return {
    ...base,
    ...(interactive ? { consent: (start, decision) => playConsent(emulator, start, decision) } : {}),
    failTokenRequests: (failure) =>
      emulator.inject.google(
        failure === 'revoked'
          ? { error: 'invalid_grant', description: 'Token has been expired or revoked.', times: forever }
          : { status: 503, times: forever },
      ),
    failRevocation: () => emulator.inject.google({ status: 503, endpoint: 'revoke', times: forever }),
    rotatesRefreshTokens: emulator.identity.config.googleRotatesRefreshTokens,
  };
}

function microsoftEnvironment(
  emulator: ConformanceEmulator,
  base: { settings: Readonly<Record<string, unknown>>; secrets: Readonly<Record<string, string>> },
  user: boolean,
): ProviderEnvironment {
  const publicApp = emulator.apps.find((app) => app.public);
  const { clientSecret: _confidential, ...publicSettings } = base.settings;
  return {
    ...base,
    ...(user
      ? {
          consent: (start: SignInStart, decision: 'approve' | 'deny') =>
            playConsent(emulator, start, decision),
          // Device codes are for public clients (no secret), as Entra ID requires.
          ...(publicApp ? { deviceCodeSettings: { ...publicSettings, clientId: publicApp.clientId } } : {}),
          approveDeviceCode: (prompt: { userCode: string }) =>
            emulator.identity.approveDeviceCode(prompt.userCode, emulator.users[0]?.email),
        }
      : {}),
    failTokenRequests: (failure) =>
      // AADSTS700082: the refresh token expired from inactivity — Entra ID's "sign in again".
      emulator.inject.microsoft(
        failure === 'revoked' ? { aadsts: 700082, times: forever } : { status: 503, times: forever },
      ),
    rotatesRefreshTokens: true,
  };
}

/**
 * The environment for a first-party provider, by its id, against a running emulator: pass it as
 * `environment` and start the emulator with {@link conformanceEmulatorOptions}.
 *
 * @example
 * let emulator: Emulator;
 * beforeAll(async () => { emulator = await startEmulator(conformanceEmulatorOptions); });
 * afterAll(() => emulator.stop());
 * authProviderSuite(it, (o) => createGmailOAuth(o), { packageJson, environment: emulatorEnvironment(() => emulator) });
 */
export function emulatorEnvironment(
  emulator: () => ConformanceEmulator,
): (provider: AuthProvider) => ProviderEnvironment {
  return (provider) => {
    const running = emulator();
    const preset = running.settings[provider.id];
    switch (provider.id) {
      case 'gmail-oauth':
        return googleEnvironment(running, presetOf(preset, provider.id), true);
      case 'google-service-account': {
        const account = running.identity.config.googleServiceAccounts[0];
        if (!account) throw new ConformanceError('the emulator has no Google service account.');
        const key = running.identity.serviceAccountKey(account.clientEmail, running.urls.googleBase);
        return googleEnvironment(
          running,
          {
            settings: {
              serviceAccountKey: { secretRef: 'emulator-google-service-account-key' },
              mailbox: running.users[0]?.email,
              tokenUrl: `${running.urls.http}/google/token`,
            },
            secrets: { 'emulator-google-service-account-key': JSON.stringify(key) },
          },
          false,
        );
      }
      case 'm365-delegated':
        return microsoftEnvironment(running, presetOf(preset, provider.id), true);
      case 'm365-app-only':
        return microsoftEnvironment(running, presetOf(preset, provider.id), false);
      case 'basic':
        return presetOf(preset, provider.id);
      default:
        throw new ConformanceError(
          `the emulator has no environment for the provider "${provider.id}"; give the suite your own.`,
        );
    }
  };
}

function presetOf(
  preset:
    | { settings: Readonly<Record<string, unknown>>; secrets: Readonly<Record<string, string>> }
    | undefined,
  id: string,
) {
  if (!preset) throw new ConformanceError(`the emulator has no ready-made settings for "${id}".`);
  return { settings: preset.settings, secrets: preset.secrets };
}

/**
 * One of the emulator's mail servers as a protocol fixture: the first test user's mailbox, over
 * implicit TLS trusting the emulator's CA.
 *
 * @example
 * mailProtocolSuite(it, () => createImapProtocol(), { packageJson, server: emulatorMailServer(() => emulator, 'imap') });
 */
export function emulatorMailServer(
  emulator: () => ConformanceEmulator,
  protocol: 'imap' | 'pop3',
): () => MailServerFixture {
  return () => {
    const running = emulator();
    const port = protocol === 'imap' ? running.ports.imaps : running.ports.pop3s;
    const user = running.users[0];
    const mail = running.mail;
    if (!port || !mail || !user?.password) {
      throw new ConformanceError('the emulator was started without mail servers or without a password user.');
    }
    return {
      server: { host: '127.0.0.1', port, security: 'tls', tls: { ca: running.caCertPem }, timeoutMs: 10_000 },
      user: user.email,
      password: user.password,
      deliver: (raw) => void mail.deliver(user.email, raw),
    };
  };
}

/**
 * The emulator's HTTPS APIs (Microsoft Graph, the Gmail API) as server settings: loopback, its
 * port, trusting its CA. The protocol under test adds the emulator's path prefix (`basePath`).
 *
 * @example
 * const connection = await createGraphProtocol({ basePath: '/graph' }).connect(emulatorApiServer(emulator), source);
 */
export function emulatorApiServer(
  emulator: { readonly ports: { readonly https: number }; readonly caCertPem: string },
  timeoutMs = 10_000,
): ServerSettings {
  return {
    host: '127.0.0.1',
    port: emulator.ports.https,
    security: 'tls',
    timeoutMs,
    tls: { ca: emulator.caCertPem },
  };
}

/** The parts of a running emulator an HTTP send API fixture uses. */
export interface EmulatorWithSendApis {
  readonly ports: { readonly https: number };
  readonly caCertPem: string;
  readonly mail: { list(mailbox: string, folder?: string): readonly { readonly raw: Uint8Array }[] };
  stop(): Promise<void>;
}

/**
 * One of the emulator's HTTPS send APIs (Graph, Gmail) as a protocol fixture: `user`'s mailbox,
 * the `credentials` a real OAuth client obtained for it, a token the emulator never issued as the
 * rejected credential, the user's Sent folder as what was sent, and the emulator stopped at the end.
 *
 * @example
 * mailProtocolSuite(it, () => createGraphProtocol({ basePath: '/graph' }), {
 *   packageJson,
 *   server: async () => { const emulator = await startEmulator(); return emulatorApiFixture(emulator, ALICE, appOnly(emulator)); },
 * });
 */
export function emulatorApiFixture(
  emulator: EmulatorWithSendApis,
  user: string,
  credentials: CredentialSource,
): MailServerFixture {
  return {
    server: emulatorApiServer(emulator),
    user,
    credentials,
    rejectedCredentials: (planted) => tokenCredentials(user, planted),
    messages: () => emulator.mail.list(user, 'Sent').map((m) => Buffer.from(m.raw).toString('utf8')),
    close: () => emulator.stop(),
  };
}

/**
 * The raw message (UTF-8) the emulator delivered to `mailbox` with this `subject`, or `''` when
 * there is none: what a test of a send route reads back.
 *
 * @example
 * expect(deliveredMessage(emulator, 'bob@contoso.test', 'Invoice 42')).toContain('From: Alice');
 */
export function deliveredMessage(
  emulator: {
    readonly mail: {
      list(mailbox: string): readonly { readonly subject?: string; readonly raw: Uint8Array }[];
    };
  },
  mailbox: string,
  subject: string,
): string {
  const found = emulator.mail.list(mailbox).find((m) => m.subject === subject);
  return found ? Buffer.from(found.raw).toString('utf8') : '';
}

/**
 * What the emulator delivered to `mailbox` with this Message-ID, with what differs between two
 * sends of one message replaced (the Date line, the Message-ID, MIME boundaries): two routes that
 * put the same bytes on the wire give the same text. `''` when nothing carries the id.
 *
 * @example
 * expect(comparableDelivery(emulator, BOB, '<b@x>')).toBe(comparableDelivery(emulator, BOB, '<a@x>'));
 */
export function comparableDelivery(
  emulator: { readonly mail: { list(mailbox: string): readonly { readonly raw: Uint8Array }[] } },
  mailbox: string,
  messageId: string,
): string {
  const raw =
    emulator.mail
      .list(mailbox)
      .map((m) => Buffer.from(m.raw).toString('utf8'))
      .find((text) => text.includes(messageId)) ?? '';
  const boundaries = [...raw.matchAll(/boundary="?([^";\r\n]+)"?/g)].map((m) => m[1] ?? '');
  let form = raw.replace(/^Date: .*\r?\n/m, '').replace(messageId, '<ID>');
  boundaries.forEach((boundary, i) => {
    form = form.split(boundary).join(`BOUNDARY${i}`);
  });
  return form;
}
