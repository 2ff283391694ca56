/**
 * Browser sign-in for a web host, the part host developers most often get wrong:
 *
 *  1. `begin` — the provider returns the identity platform URL and an opaque single-use `state`.
 *     The host passes its own web session id as `binding`; the provider keeps (a hash of) it with
 *     the state. The host also remembers which ACCOUNT the state belongs to, because every account
 *     shares one callback URL.
 *  2. callback — the identity platform sends the browser back with `code` + `state`. The host
 *     routes it to the account's session and calls `complete` with the SAME binding. A callback
 *     carried by another browser (login CSRF: someone who finished a consent for their own mailbox
 *     and lures an admin to the callback URL) is refused by the provider with
 *     SIGN_IN_BINDING_MISMATCH before the code is redeemed — and without burning the real state.
 *  3. expected mailbox — the mailer's session makes `complete` refuse a sign-in for another mailbox
 *     than the account's From address (MAILBOX_MISMATCH) before anything is stored, unless the
 *     account accepts any signed-in mailbox (`identity.acceptAnySignInMailbox`).
 */
import type {
  AuthSession,
  DeviceCodePrompt,
  MailboxIdentity,
  MailplugError,
  SignInCallbackParams,
} from '@mailplug/core';
import { assertExpectedMailbox, isMailplugError, mailplugError } from '@mailplug/core';
import type { MailServerRecord } from './admin-config.js';

export const WebAdminErrorCode = {
  SignInUnknown: 'SIGN_IN_UNKNOWN',
  NoBrowserSignIn: 'NO_BROWSER_SIGN_IN',
} as const;

/**
 * Which account each sign-in in progress belongs to: routing only — whether the callback may
 * complete it is the provider's binding check. In memory here; a host running several instances
 * keeps it where it keeps its web sessions (the callback may land on another instance).
 */
export interface PendingCallbacks {
  remember(state: string, accountId: string, expiresAt: number): void;
  /** The account the state was started for, or undefined when unknown or expired. */
  accountFor(state: string | undefined): string | undefined;
  forget(state: string): void;
}

export function createPendingCallbacks(now: () => number = Date.now): PendingCallbacks {
  const pending = new Map<string, { readonly accountId: string; readonly expiresAt: number }>();
  return {
    remember(state, accountId, expiresAt) {
      for (const [key, p] of pending) if (p.expiresAt <= now()) pending.delete(key);
      pending.set(state, { accountId, expiresAt });
    },
    accountFor(state) {
      const entry = state ? pending.get(state) : undefined;
      if (!state || !entry) return undefined;
      if (entry.expiresAt <= now()) {
        pending.delete(state);
        return undefined;
      }
      return entry.accountId;
    },
    forget(state) {
      pending.delete(state);
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

export function unknownSignInError(): MailplugError {
  return mailplugError(
    WebAdminErrorCode.SignInUnknown,
    'user',
    'This sign-in response does not belong to a sign-in in progress (unknown, used or expired).',
    'Start the sign-in again from the account page and finish it within ten minutes.',
  );
}

/**
 * Device-code sign-in has no `complete` for core to guard, so the host checks the mailbox itself
 * with core's rule and error (MAILBOX_MISMATCH), and signs the grant out again on a mismatch.
 */
export async function enforceExpectedMailbox(
  record: MailServerRecord,
  session: AuthSession,
  identity: MailboxIdentity,
): Promise<void> {
  const identitySettings = record.account.identity;
  if (!identitySettings || identitySettings.acceptAnySignInMailbox) return;
  try {
    assertExpectedMailbox(identity, { expectedMailbox: identitySettings.fromAddress });
  } catch (error) {
    await session.signOut().catch(() => undefined);
    throw error;
  }
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
