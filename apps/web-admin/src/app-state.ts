import {
  type AccountAccess,
  type AuthorizationStatus,
  type AuthProviderListing,
  authorizationStateFor,
  isSecretRef,
  mailplugError,
  type ProtocolListing,
  type ValidationIssue,
  validateAccount,
} from '@mailplug/core';
import { findRecord, type MailServerRecord } from './admin-config.js';
import type { WebAdminHost } from './host.js';
import { recordIssues, type ServerPreset } from './pages/account-form.js';
import { asMailplugError, type DeviceCodeRuns, type PendingCallbacks } from './sign-in.js';

/** Values a deployment pre-fills into new account forms (the demo fills in the emulator's). */
export interface FormPresets {
  readonly outgoingServer?: {
    host: string;
    port: number;
    security: 'starttls' | 'tls' | 'none';
    caFile?: string;
  };
  readonly incomingServer?: {
    host: string;
    port: number;
    security: 'starttls' | 'tls' | 'none';
    caFile?: string;
  };
  /** Per provider id: non-secret settings to pre-fill. */
  readonly providerSettings?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Per fallback protocol id: the server to pre-fill (defaults: the public Graph and Gmail API hosts). */
  readonly fallbackServers?: Readonly<Record<string, ServerPreset>>;
}

/** The public endpoints of the HTTP send protocols, pre-filled when an admin picks a fallback. */
export const DEFAULT_FALLBACK_SERVERS: Readonly<Record<string, ServerPreset>> = Object.freeze({
  graph: { host: 'graph.microsoft.com', port: 443, security: 'tls' },
  'gmail-api': { host: 'gmail.googleapis.com', port: 443, security: 'tls' },
});

export interface AppState {
  readonly host: WebAdminHost;
  /** Which account each browser sign-in in progress belongs to (the callback URL is shared). */
  readonly pendingCallbacks: PendingCallbacks;
  readonly deviceRuns: DeviceCodeRuns;
  /** Where browsers reach this app, e.g. https://admin.example.com. */
  readonly publicUrl: string;
  /** The OAuth callback: `<publicUrl>/oauth/callback`; register it on the OAuth clients. */
  readonly redirectUri: string;
  readonly presets: FormPresets;
  /** Deadline for each account's live authorization check on list pages. */
  readonly checkTimeoutMs: number;
}

/**
 * Everything these screens do with a session is an admin operation: admins set up, sign in, check
 * and test personal accounts for their users (the user's own sends pass `actingUser` instead).
 */
export const ADMIN: AccountAccess = { operation: 'admin' };

export const secretName = (accountId: string, key: string) => `${accountId}.${key}`;

export function providers(app: AppState): AuthProviderListing[] {
  return app.host.registry.list().filter((c): c is AuthProviderListing => c.kind === 'authProvider');
}

export function protocols(app: AppState): ProtocolListing[] {
  return app.host.registry.list().filter((c): c is ProtocolListing => c.kind === 'protocol');
}

export function directionOf(app: AppState, record: MailServerRecord): 'send' | 'receive' {
  return app.host.registry.describeProtocol(record.account.protocol)?.direction ?? 'send';
}

export async function requireRecord(app: AppState, id: string): Promise<MailServerRecord | undefined> {
  return findRecord(await app.host.config.read(), id);
}

/** Secret keys of the record's provider whose value is in the secret store. */
export async function storedSecrets(
  app: AppState,
  record: MailServerRecord | undefined,
): Promise<Set<string>> {
  const stored = new Set<string>();
  if (!record) return stored;
  for (const [key, value] of Object.entries(record.account.auth.settings)) {
    if (isSecretRef(value) && (await app.host.secrets.has(value.secretRef))) stored.add(key);
  }
  return stored;
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          mailplugError(
            'TIMEOUT',
            'retry',
            `The authorization check did not finish within ${Math.round(ms / 1000)} seconds.`,
            'Try "Check Authorization" again in a moment; the identity platform or network is slow.',
          ),
        ),
      ms,
    );
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** The account's live state (`checkAuthorization`), never throwing: failures become a state. */
export async function statusOf(app: AppState, record: MailServerRecord): Promise<AuthorizationStatus> {
  try {
    const mailer = await app.host.mailer();
    const session = await mailer.sessionFor(record.account, ADMIN);
    return await withDeadline(session.checkAuthorization(), app.checkTimeoutMs);
  } catch (error) {
    const e = asMailplugError(error);
    return { state: authorizationStateFor(e), grantedScopes: [], error: e };
  }
}

/**
 * Validates and saves a record: core's account validation (manifests only, nothing loaded)
 * plus the app's own checks; secrets are written only once everything is valid. Returns the
 * issues, empty when saved.
 */
export async function saveRecord(
  app: AppState,
  record: MailServerRecord,
  newSecrets: Readonly<Record<string, string>>,
  previous: MailServerRecord | undefined,
): Promise<ValidationIssue[]> {
  const issues = [
    ...recordIssues(record),
    ...(await validateAccount(record.account, { registry: app.host.registry })),
  ];
  if (issues.length > 0) return issues;
  const { id } = record.account;
  for (const [key, value] of Object.entries(newSecrets))
    await app.host.secrets.set(secretName(id, key), value);
  const kept = new Set(
    Object.values(record.account.auth.settings)
      .filter(isSecretRef)
      .map((r) => r.secretRef),
  );
  for (const value of Object.values(previous?.account.auth.settings ?? {})) {
    if (isSecretRef(value) && !kept.has(value.secretRef) && value.secretRef.startsWith(`${id}.`)) {
      await app.host.secrets.delete(value.secretRef);
    }
  }
  // A different sign-in method (or OAuth client) never inherits the previous one's tokens.
  if (previous && authIdentityChanged(previous, record))
    await (await app.host.mailer()).forgetAccount(previous.account);
  await app.host.config.update((config) => ({
    ...config,
    accounts: previous
      ? config.accounts.map((r) => (r.account.id === id ? record : r))
      : [...config.accounts, record],
  }));
  return [];
}

function authIdentityChanged(before: MailServerRecord, after: MailServerRecord): boolean {
  const a = before.account.auth;
  const b = after.account.auth;
  return (
    a.provider !== b.provider ||
    a.settings.clientId !== b.settings.clientId ||
    (a.settings.tenant ?? null) !== (b.settings.tenant ?? null)
  );
}

export async function newAccountId(app: AppState, name: string): Promise<string> {
  const config = await app.host.config.read();
  const base =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 32) || 'account';
  // A random suffix: a new account never reuses an old id (and so never an old account's tokens).
  for (;;) {
    const id = `${base}-${Math.random().toString(36).slice(2, 6)}`;
    if (!findRecord(config, id)) return id;
  }
}
