import {
  type AccountAccess,
  type AuthorizationStatus,
  CoreErrorCode,
  type DeviceCodePrompt,
  type DiagnosticReport,
  type DiagnosticStep,
  type MailAccount,
  type MailboxIdentity,
  type Mailer,
  mailplugError,
  type OutgoingMessage,
  type ReceiveConnection,
  type Registry,
  type SendResult,
  startLoopbackRedirect,
} from '@mailplug/core';
import type { ConsoleConfig } from './config-store.js';
import { FAIL, formatMs, formatWhen, OK, SKIP } from './output.js';
import { oneLine } from './terminal-text.js';

/**
 * The console is an admin tool: besides `send` (which names the acting user with `--as`), its
 * commands use personal accounts as an admin operation, which core's mailer requires be said.
 */
export const ADMIN: AccountAccess = { operation: 'admin' };

/** "Check Authorization": which mailbox, which scopes, when it expires. */
export async function checkAuthorization(mailer: Mailer, account: MailAccount): Promise<AuthorizationStatus> {
  const session = await mailer.sessionFor(account, ADMIN);
  return session.checkAuthorization();
}

const STATE_WORDS: Record<AuthorizationStatus['state'], string> = {
  authorized: 'authorized',
  signInRequired: 'sign-in required',
  reauthRequired: 'sign in again',
  temporarilyUnavailable: 'temporarily unavailable — try again later',
  misconfigured: 'misconfigured',
};

/** Human lines for an authorization status; every value that came from a server is one clean line. */
export function renderAuthorization(account: MailAccount, status: AuthorizationStatus): string[] {
  const mark = status.state === 'authorized' ? OK : FAIL;
  const lines = [`${mark} ${account.id}: ${STATE_WORDS[status.state] ?? oneLine(status.state)}`];
  if (status.identity) {
    const { mailbox, displayName, tenantId } = status.identity;
    lines.push(`  mailbox:  ${oneLine(mailbox)}${displayName ? ` (${oneLine(displayName)})` : ''}`);
    if (tenantId) lines.push(`  tenant:   ${oneLine(tenantId)}`);
  }
  lines.push(
    `  scopes:   ${status.grantedScopes.length ? oneLine(status.grantedScopes.join(' ')) : '(none)'}`,
  );
  if (status.accessTokenExpiresAt !== undefined)
    lines.push(`  access token expires:  ${formatWhen(status.accessTokenExpiresAt)}`);
  if (status.authorizationExpiresAt !== undefined)
    lines.push(`  authorization expires: ${formatWhen(status.authorizationExpiresAt)}`);
  if (status.state === 'signInRequired' || status.state === 'reauthRequired') {
    lines.push(`  next:     mailplug-console sign-in ${account.id}`);
  }
  if (status.error) {
    lines.push(
      `  problem:  ${oneLine(status.error.message)}`,
      `  hint:     ${oneLine(status.error.hint)}`,
      `  code:     ${oneLine(status.error.code)}`,
    );
  }
  return lines;
}

export interface SignInOptions {
  /** Microsoft delegated: headless device code flow instead of a browser redirect. */
  readonly deviceCode?: boolean;
  /** Called with the URL the user must open (the CLI prints it; the demo may follow it itself). */
  readonly openUrl: (url: string) => void | Promise<void>;
  readonly onDeviceCode?: (prompt: DeviceCodePrompt) => void | Promise<void>;
  readonly timeoutMs?: number;
  /** Loopback port for the redirect (default: ephemeral). */
  readonly port?: number;
}

/**
 * Interactive sign-in through a loopback redirect served by core, or the device code flow.
 * Returns `undefined` for providers that need no sign-in (passwords, app-only).
 */
export async function signIn(
  mailer: Mailer,
  registry: Registry,
  account: MailAccount,
  options: SignInOptions,
): Promise<MailboxIdentity | undefined> {
  const listing = registry.describeAuthProvider(account.auth.provider);
  const session = await mailer.sessionFor(account, ADMIN);
  if (options.deviceCode) {
    if (!session.deviceCode) {
      throw mailplugError(
        CoreErrorCode.NotSupported,
        'admin',
        `${listing?.label ?? account.auth.provider} has no device code sign-in.`,
        'Sign in without --device-code (a browser on this or another machine opens the printed URL).',
      );
    }
    return session.deviceCode.signIn({
      onPrompt: (prompt) => {
        // A failing prompt handler must not crash the flow; the sign-in then times out with a hint.
        Promise.resolve(options.onDeviceCode?.(prompt)).catch(() => undefined);
      },
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
  }
  const interactive = session.interactive;
  if (!interactive) return undefined;
  const loopback = await startLoopbackRedirect({
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.port ? { port: options.port } : {}),
  });
  try {
    const start = await interactive.begin({ redirectUri: loopback.redirectUri });
    const callback = loopback.waitForCallback();
    await options.openUrl(start.url);
    return await interactive.complete(await callback);
  } finally {
    await loopback.close();
  }
}

const STEP_WIDTH = 28;

/** One checklist line per probe step, with timing, detail and (on failure) the hint. */
export function renderStep(step: DiagnosticStep): string {
  const mark = step.status === 'ok' ? OK : step.status === 'failed' ? FAIL : SKIP;
  const head = `  ${mark} ${step.label.padEnd(STEP_WIDTH)} ${step.status === 'skipped' ? 'skipped' : formatMs(step.durationMs).padStart(7)}`;
  const lines = [step.detail && step.status !== 'skipped' ? `${head}  ${oneLine(step.detail)}` : head];
  if (step.error) {
    lines.push(
      `      ${oneLine(step.error.code)}: ${oneLine(step.error.message)}`,
      `      hint: ${oneLine(step.error.hint)}`,
    );
  }
  return lines.join('\n');
}

export async function testConnection(
  mailer: Mailer,
  account: MailAccount,
  options: { onStep?: (step: DiagnosticStep) => void; testMessage?: OutgoingMessage } = {},
): Promise<DiagnosticReport> {
  return mailer.probe(account, {
    access: ADMIN,
    ...(options.onStep ? { onStep: options.onStep } : {}),
    ...(options.testMessage ? { testMessage: options.testMessage } : {}),
  });
}

/**
 * Core's mailer enforces the account scope (at send, and at enqueue through `mailer.preflight`).
 * The console adds one check first: an acting user it has never heard of is refused with a hint
 * to add them.
 */
export function checkKnownUser(
  config: ConsoleConfig,
  account: MailAccount,
  actingUser: string | undefined,
): void {
  if (account.scope.kind === 'organization' && actingUser && !config.users.some((u) => u.id === actingUser)) {
    throw mailplugError(
      CoreErrorCode.PermissionDenied,
      'admin',
      `User "${actingUser}" is not a known user, so may not send from the organization account "${account.id}".`,
      `Add the user with "mailplug-console users add ${actingUser}" (allowed by default), then send again.`,
      { details: { accountId: account.id, actingUser } },
    );
  }
}

/** Sends now through core's mailer (after `checkKnownUser`). */
export async function sendMessage(
  mailer: Mailer,
  config: ConsoleConfig,
  account: MailAccount,
  actingUser: string | undefined,
  message: OutgoingMessage,
): Promise<SendResult> {
  checkKnownUser(config, account, actingUser);
  return mailer.send({ account, ...(actingUser ? { actingUser } : {}), message });
}

export interface ReceivedSummary {
  readonly id: string;
  readonly size: number;
  readonly subject: string;
  readonly from: string;
  readonly date: string;
}

/** Lists messages with their main headers (newest last). */
export async function listMessages(connection: ReceiveConnection, limit: number): Promise<ReceivedSummary[]> {
  const all = await connection.list();
  const recent = all.slice(Math.max(0, all.length - limit));
  const out: ReceivedSummary[] = [];
  for (const m of recent) {
    const headers = parseHeaders(await connection.fetch(m.id));
    out.push({
      id: m.id,
      size: m.size,
      subject: headers.subject ?? '',
      from: headers.from ?? '',
      date: headers.date ?? '',
    });
  }
  return out;
}

/** Header fields of a raw RFC 5322 message, unfolded, encoded words decoded. Lower-case names. */
export function parseHeaders(raw: Uint8Array): Record<string, string> {
  const text = Buffer.from(raw).toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const block = (end >= 0 ? text.slice(0, end) : text).replace(/\r?\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at <= 0) continue;
    const name = line.slice(0, at).trim().toLowerCase();
    if (!(name in headers)) headers[name] = decodeWords(line.slice(at + 1).trim());
  }
  return headers;
}

/** The body of a raw single-part message (after the header block), quoted-printable/base64 decoded. */
export function messageBody(raw: Uint8Array): string {
  const text = Buffer.from(raw).toString('utf8');
  const match = /\r?\n\r?\n/.exec(text);
  const body = match ? text.slice(match.index + match[0].length) : '';
  const encoding = (parseHeaders(raw)['content-transfer-encoding'] ?? '').toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

function decodeWords(value: string): string {
  return value.replace(
    /=\?([^?]+)\?([bBqQ])\?([^?]*)\?=\s*/g,
    (_all, _charset: string, enc: string, data: string) => {
      if (enc.toUpperCase() === 'B') return Buffer.from(data, 'base64').toString('utf8');
      return Buffer.from(
        data
          .replace(/_/g, ' ')
          .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
        'latin1',
      ).toString('utf8');
    },
  );
}
