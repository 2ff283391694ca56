/**
 * One emulator, the four OAuth providers with short deadlines, a registry and a mailer — the way a
 * host wires them — plus headless sign-in. Every call goes through the real msal-node and
 * google-auth-library to the emulator; nothing leaves 127.0.0.1.
 */
import { request } from 'node:https';
import { createGmailOAuth, createGoogleServiceAccount } from '@mailplug/auth-gmail-oauth';
import { createM365AppOnly } from '@mailplug/auth-m365-app-only';
import { createM365Delegated } from '@mailplug/auth-m365-delegated';
import {
  type AuthProvider,
  type AuthSession,
  createMailer,
  createMemorySecretStore,
  createMemoryTokenStore,
  createRegistry,
  type MailAccount,
  type Mailer,
  type SecretStore,
  type TokenStore,
} from '@mailplug/core';
import { DEFAULT_IDS, type Emulator, type EmulatorOptions, startEmulator } from '@mailplug/emulator';
import { smtp } from '@mailplug/protocol-smtp';

export const MAILBOX = 'alice@contoso.test';

/** The four OAuth providers a host can offer, by their manifest ids. */
export type ProviderId = 'gmail-oauth' | 'google-service-account' | 'm365-delegated' | 'm365-app-only';
export const PROVIDERS: readonly ProviderId[] = [
  'gmail-oauth',
  'google-service-account',
  'm365-delegated',
  'm365-app-only',
];

/** Which platform answers a provider's token requests, and under which grant. */
export const TOKEN_GRANT: Record<ProviderId, { platform: 'google' | 'microsoft'; grant: string }> = {
  'gmail-oauth': { platform: 'google', grant: 'refresh_token' },
  'google-service-account': { platform: 'google', grant: 'jwt-bearer' },
  'm365-delegated': { platform: 'microsoft', grant: 'refresh_token' },
  'm365-app-only': { platform: 'microsoft', grant: 'client_credentials' },
};

/**
 * Short deadlines through the providers' uniform options, so a black hole ends fast — yet long
 * enough that a loaded CI machine answering a 429 slowly is not mistaken for a hung endpoint.
 */
export const DEADLINES = {
  requestTimeoutMs: 1_500,
  retry: { attempts: 2, baseDelayMs: 20, maxDelayMs: 200, maxTotalMs: 5_000 },
} as const;

/** The same options, with the same meaning, for every provider factory. */
export interface UniformOptions {
  readonly requestTimeoutMs?: number;
  readonly retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number; maxTotalMs?: number };
  readonly earlyRefreshMs?: number;
  readonly proxy?: string | false;
  readonly noProxy?: string;
}

export function providerFor(id: ProviderId, options: UniformOptions): AuthProvider {
  switch (id) {
    case 'gmail-oauth':
      return createGmailOAuth(options);
    case 'google-service-account':
      return createGoogleServiceAccount(options);
    case 'm365-delegated':
      return createM365Delegated(options);
    case 'm365-app-only':
      return createM365AppOnly(options);
  }
}

export interface Bed {
  readonly emulator: Emulator;
  readonly mailer: Mailer;
  readonly tokenStore: TokenStore;
  readonly secrets: SecretStore;
  /** Settings of a `provider` account on the emulator. */
  settingsFor(provider: ProviderId): Record<string, unknown>;
  /** Another mailer on the same registry, secrets and token store (a restarted host process). */
  newMailer(): Mailer;
  /** Signs a session in headlessly when it has an interactive sign-in (the emulator auto-approves). */
  signIn(session: AuthSession): Promise<void>;
  /** A new account of this provider on the emulator's SMTP server (signed in where someone must). */
  account(provider: ProviderId, id: string, settings?: Record<string, unknown>): Promise<MailAccount>;
  session(account: MailAccount): Promise<AuthSession>;
  stop(): Promise<void>;
}

export interface BedOptions {
  /** Factory options for every provider. Default: {@link DEADLINES}, refreshing on every call. */
  readonly providerOptions?: UniformOptions;
  readonly emulator?: EmulatorOptions;
}

export async function startBed(options: BedOptions = {}): Promise<Bed> {
  const emulator = await startEmulator({
    ...options.emulator,
    identity: { autoApprove: 'first-user', ...options.emulator?.identity },
    // Test tokens must not be refused as "about to expire".
    mail: { tokenExpirySkewMs: 0 },
  });
  // Refreshing "early" by more than a token's lifetime sends every credential request to the
  // token endpoint, so each call in a test meets the injected fault.
  const providerOptions = options.providerOptions ?? { ...DEADLINES, earlyRefreshMs: 2 * 60 * 60_000 };
  const registry = createRegistry();
  for (const id of PROVIDERS) registry.register(providerFor(id, providerOptions));
  registry.register(smtp);
  const secrets = createMemorySecretStore({
    ...emulator.settings['gmail-oauth'].secrets,
    ...emulator.settings['m365-delegated'].secrets,
    ...emulator.settings['m365-app-only'].secrets,
    'sa-key': JSON.stringify(
      emulator.identity.serviceAccountKey(DEFAULT_IDS.googleServiceAccount, emulator.urls.googleBase),
    ),
  });
  const tokenStore = createMemoryTokenStore();
  const mailers: Mailer[] = [];
  const newMailer = () => {
    const created = createMailer({
      registry,
      secrets,
      tokenStore,
      permissions: { canSendOnBehalfOfOrganization: () => true },
    });
    mailers.push(created);
    return created;
  };
  const mailer = newMailer();
  const port = emulator.ports.smtp;
  if (port === undefined) throw new Error('the emulator started without mail servers');
  const server = { host: '127.0.0.1', port, security: 'starttls' as const, caFile: emulator.caCertPath };

  function settingsFor(provider: ProviderId): Record<string, unknown> {
    switch (provider) {
      case 'gmail-oauth':
        return { ...emulator.settings['gmail-oauth'].settings, redirectUri: 'http://127.0.0.1/callback' };
      case 'google-service-account':
        return {
          serviceAccountKey: { secretRef: 'sa-key' },
          mailbox: MAILBOX,
          tokenUrl: `${emulator.urls.googleBase}/token`,
          ca: emulator.caCertPem.trimEnd(),
        };
      case 'm365-delegated':
        return { ...emulator.settings['m365-delegated'].settings, redirectUri: 'http://127.0.0.1/callback' };
      case 'm365-app-only':
        return { ...emulator.settings['m365-app-only'].settings };
    }
  }

  async function account(provider: ProviderId, id: string, settings: Record<string, unknown> = {}) {
    const mailAccount: MailAccount = {
      id,
      protocol: 'smtp',
      server,
      auth: { provider, settings: { ...settingsFor(provider), ...settings } },
      identity: { fromAddress: MAILBOX },
      scope: { kind: 'system' },
    };
    await signIn(await mailer.sessionFor(mailAccount));
    return mailAccount;
  }

  async function signIn(session: AuthSession): Promise<void> {
    if (!session.interactive) return;
    const start = await session.interactive.begin();
    await session.interactive.complete(await followAuthorize(start.url, emulator.caCertPem));
  }

  return {
    emulator,
    mailer,
    tokenStore,
    secrets,
    settingsFor,
    newMailer,
    signIn,
    account,
    session: (a) => mailer.sessionFor(a),
    async stop() {
      for (const m of mailers) await m.dispose();
      await emulator.stop();
    },
  };
}

/** The browser part of the authorization code flow: the emulator auto-approves and redirects. */
export function followAuthorize(url: string, ca: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', ca }, (res) => {
      res.resume();
      const location = res.headers.location;
      if (!location) return reject(new Error(`authorize answered ${res.statusCode} without a redirect`));
      resolve(Object.fromEntries(new URL(location).searchParams));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Token requests the emulator has served so far (to tell a network answer from a local replay). */
export function tokenRequests(emulator: Emulator): number {
  return emulator.requests.filter((r) => r.method === 'POST' && /\/token$/.test(r.path)).length;
}

/** A message to send in a test. */
export const message = (subject: string) => ({ to: 'bob@contoso.test', subject, text: 'resilience test' });
