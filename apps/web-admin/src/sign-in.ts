/**
 * Browser sign-in for a web host, the part host developers most often get wrong:
 *
 *  1. `begin` — the provider returns the identity platform URL and an opaque single-use `state`;
 *     the HOST remembers which of its own web sessions asked for that state, then answers 302.
 *  2. callback — the identity platform sends the browser back with `code` + `state`. Before
 *     anything is redeemed, the host checks that the SAME web session started that state. A
 *     callback carried by another browser (login CSRF: an attacker who finished a consent for
 *     their own mailbox and lures an admin to the callback URL) is refused, so nobody can attach
 *     their mailbox to an account an admin configures.
 *  3. `complete` — the provider redeems the code (PKCE, its own single-use state check).
 *  4. expected mailbox — the host compares who signed in with the account's From address and
 *     signs the grant out again on a mismatch, unless the account allows another mailbox.
 */
import type {
  AuthSession,
  DeviceCodePrompt,
  MailboxIdentity,
  MailplugError,
  SignInCallbackParams,
} from '@mailplug/core';
import { isMailplugError, mailplugError } from '@mailplug/core';
import type { MailServerRecord } from './admin-config.js';

export const WebAdminErrorCode = {
  SignInSessionMismatch: 'SIGN_IN_SESSION_MISMATCH',
  SignInUnknown: 'SIGN_IN_UNKNOWN',
  MailboxMismatch: 'SIGNED_IN_MAILBOX_MISMATCH',
  NoBrowserSignIn: 'NO_BROWSER_SIGN_IN',
} as const;

interface PendingBrowserSignIn {
  readonly webSessionId: string;
  readonly accountId: string;
  readonly expiresAt: number;
}

export type TakeResult =
  | { readonly status: 'ok'; readonly accountId: string }
  | { readonly status: 'unknown' }
  | { readonly status: 'otherSession'; readonly accountId: string };

/**
 * Which web session started which sign-in. In memory here; a host running several instances
 * keeps it where it keeps its web sessions (the callback may land on another instance).
 */
export interface SignInBinding {
  remember(state: string, webSessionId: string, accountId: string, expiresAt: number): void;
  /** Forgets the state whatever the outcome: a refused callback cannot be retried by anyone. */
  take(state: string | undefined, webSessionId: string): TakeResult;
}

export function createSignInBinding(now: () => number = Date.now): SignInBinding {
  const pending = new Map<string, PendingBrowserSignIn>();
  return {
    remember(state, webSessionId, accountId, expiresAt) {
      for (const [key, p] of pending) if (p.expiresAt <= now()) pending.delete(key);
      pending.set(state, { webSessionId, accountId, expiresAt });
    },
    take(state, webSessionId) {
      const entry = state ? pending.get(state) : undefined;
      if (!state || !entry || entry.expiresAt <= now()) {
        if (state) pending.delete(state);
        return { status: 'unknown' };
      }
      pending.delete(state);
      return entry.webSessionId === webSessionId
        ? { status: 'ok', accountId: entry.accountId }
        : { status: 'otherSession', accountId: entry.accountId };
    },
  };
}

export function noBrowserSignIn(label: string): MailplugError {
  return mailplugError(
    WebAdminErrorCode.NoBrowserSignIn,
    'admin',
    `${label} has no browser sign-in.`,
    'Choose a sign-in method that offers "Sign in with …", or use the method the account page offers.',
  );
}

export function sessionMismatchError(): MailplugError {
  return mailplugError(
    WebAdminErrorCode.SignInSessionMismatch,
    'user',
    'This sign-in was started in another browser session, so it was refused and nothing was changed.',
    'Start the sign-in again from the account page in this browser. If you did not start one, someone may have tried to attach their mailbox to this account.',
  );
}

export function unknownSignInError(): MailplugError {
  return mailplugError(
    WebAdminErrorCode.SignInUnknown,
    'user',
    'This sign-in response does not belong to a sign-in in progress (unknown, used or expired).',
    'Start the sign-in again from the account page and finish it within ten minutes.',
  );
}

/** The mailbox the account expects a sign-in for, unless it allows another one. */
export function expectedMailbox(record: MailServerRecord): string | undefined {
  if (record.allowOtherMailbox) return undefined;
  return record.account.identity?.fromAddress;
}

/**
 * After `complete`: a sign-in for another mailbox than the account sends from is refused, and
 * the grant it produced is signed out again so no token for that mailbox stays behind.
 */
export async function enforceExpectedMailbox(
  record: MailServerRecord,
  session: AuthSession,
  identity: MailboxIdentity,
): Promise<void> {
  const expected = expectedMailbox(record);
  if (!expected || identity.mailbox.toLowerCase() === expected.toLowerCase()) return;
  await session.signOut().catch(() => undefined);
  throw mailplugError(
    WebAdminErrorCode.MailboxMismatch,
    'user',
    `You signed in as ${identity.mailbox}, but the account "${record.account.label ?? record.account.id}" sends as ${expected}; the sign-in was refused and signed out.`,
    `Sign in again as ${expected}, or edit the account (From address, or allow a different signed-in mailbox for delegates).`,
    { details: { expected, actual: identity.mailbox } },
  );
}

/** Turns anything thrown into a MailplugError a page can show (never the raw cause). */
export function asMailplugError(error: unknown): MailplugError {
  if (isMailplugError(error)) return error;
  return mailplugError(
    'UNEXPECTED',
    'developer',
    'Something unexpected went wrong.',
    'Try again; if it keeps happening, check the server log of the admin app.',
    { cause: error },
  );
}

/** Query parameters of the callback, as the provider wants them. */
export function callbackParams(url: URL): SignInCallbackParams {
  return Object.fromEntries(url.searchParams.entries());
}

/** A device-code sign-in in progress, visible only to the web session that started it. */
export interface DeviceCodeRun {
  readonly accountId: string;
  readonly webSessionId: string;
  prompt?: DeviceCodePrompt;
  status: 'starting' | 'waiting' | 'done' | 'failed';
  identity?: MailboxIdentity;
  error?: MailplugError;
  readonly abort: AbortController;
  readonly listeners: Set<() => void>;
}

export interface DeviceCodeRuns {
  start(record: MailServerRecord, session: AuthSession, webSessionId: string, label: string): DeviceCodeRun;
  get(accountId: string, webSessionId: string): DeviceCodeRun | undefined;
  /** Drops a finished run once its outcome was shown. */
  forget(accountId: string): void;
  dispose(): void;
}

export function createDeviceCodeRuns(timeoutMs = 15 * 60_000): DeviceCodeRuns {
  const runs = new Map<string, DeviceCodeRun>();
  const notify = (run: DeviceCodeRun) => {
    for (const listener of run.listeners) listener();
  };
  return {
    start(record, session, webSessionId, label) {
      const accountId = record.account.id;
      runs.get(accountId)?.abort.abort();
      const deviceCode = session.deviceCode;
      if (!deviceCode) throw noBrowserSignIn(label);
      const run: DeviceCodeRun = {
        accountId,
        webSessionId,
        status: 'starting',
        abort: new AbortController(),
        listeners: new Set(),
      };
      runs.set(accountId, run);
      deviceCode
        .signIn({
          signal: run.abort.signal,
          timeoutMs,
          onPrompt: (prompt) => {
            run.prompt = prompt;
            run.status = 'waiting';
            notify(run);
          },
        })
        .then(async (identity) => {
          await enforceExpectedMailbox(record, session, identity);
          run.identity = identity;
          run.status = 'done';
        })
        .catch((error: unknown) => {
          run.error = asMailplugError(error);
          run.status = 'failed';
        })
        .finally(() => notify(run));
      return run;
    },
    get(accountId, webSessionId) {
      const run = runs.get(accountId);
      return run?.webSessionId === webSessionId ? run : undefined;
    },
    forget(accountId) {
      runs.delete(accountId);
    },
    dispose() {
      for (const run of runs.values()) run.abort.abort();
      runs.clear();
    },
  };
}
