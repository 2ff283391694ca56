/**
 * The world one auth provider check runs in: a fresh provider, the environment, one clock shared
 * by every session of the check, and sessions bound to stores the suite can inspect. Everything a
 * check opens or injects is disposed or removed when the check ends, pass or fail.
 */
import { randomBytes } from 'node:crypto';
import {
  type AuthProvider,
  type AuthSession,
  accountKeyPrefix,
  type DeviceCodePrompt,
  type DeviceCodeSignIn,
  type MailboxIdentity,
  type OAuth2Credential,
  type ProtocolId,
  readAdapterManifest,
  type SessionChange,
  type SettingsSchema,
} from '@mailplug/core';
import { ConformanceError, ensure, runCleanups, succeeds } from '../conformance.js';
import {
  type CapturingLogger,
  type ControlledSecretStore,
  createCapturingLogger,
  createControlledSecretStore,
  createInspectableTokenStore,
  type InspectableTokenStore,
} from '../suite-stores.js';
import {
  type AuthProviderFactory,
  type AuthProviderSuiteOptions,
  type FaultHandle,
  type ProviderEnvironment,
  SUITE_RETRY,
} from './auth-options.js';

export interface SuiteClock {
  now(): number;
  advance(ms: number): void;
}

/** A session the suite opened, with everything it gave the session. */
export interface BoundSession {
  readonly session: AuthSession;
  readonly accountId: string;
  readonly store: InspectableTokenStore;
  readonly secrets: ControlledSecretStore;
  readonly logger: CapturingLogger;
  /** Every change the session announced, in order. */
  readonly changes: readonly SessionChange[];
}

export interface OpenOptions {
  readonly accountId?: string;
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly store?: InspectableTokenStore;
  readonly secrets?: ControlledSecretStore;
}

export interface AuthHarness {
  readonly provider: AuthProvider;
  readonly environment: ProviderEnvironment;
  readonly options: AuthProviderSuiteOptions;
  readonly protocol: ProtocolId;
  readonly clock: SuiteClock;
  /** A session bound to fresh stores (or the ones given), on the check's clock. */
  open(options?: OpenOptions): BoundSession;
  /**
   * Makes a session able to hand out credentials the way its capabilities say: interactive consent,
   * else a device code, else nothing (app-only and password providers need no sign-in).
   */
  authorize(bound: BoundSession): Promise<void>;
  /** Authorized, one credential handed out, then the clock moved past its expiry. */
  dueForRefresh(bound?: BoundSession): Promise<{ bound: BoundSession; before: OAuth2Credential }>;
  /** Inject a failure at the identity provider; removed when the check ends. */
  fail(what: 'revoked' | 'unavailable' | 'revocation'): FaultHandle;
  /** Registers work to do when the check ends. */
  onCleanup(cleanup: () => unknown): void;
  dispose(): Promise<void>;
}

export const userSignIn = (p: AuthProvider): boolean =>
  p.capabilities.interactive || p.capabilities.deviceCode;

/** Resolves the environment and builds a harness around a fresh provider. */
export async function createAuthHarness(
  factory: AuthProviderFactory,
  options: AuthProviderSuiteOptions,
): Promise<AuthHarness> {
  const provider = factory({ retry: SUITE_RETRY });
  const environment = options.environment
    ? await succeeds(
        () => options.environment?.(provider) as ProviderEnvironment,
        'Preparing the environment',
      )
    : derivedEnvironment(provider.settingsSchema);
  const protocol = options.protocol ?? provider.capabilities.protocols[0] ?? 'smtp';
  let offset = 0;
  const clock: SuiteClock = {
    now: () => Date.now() + offset,
    advance(ms) {
      offset += ms;
    },
  };
  const cleanups: (() => unknown)[] = [];
  let opened = 0;
  const checkId = randomBytes(4).toString('hex');

  const harness: AuthHarness = {
    provider,
    environment,
    options,
    protocol,
    clock,
    open(openOptions = {}) {
      const accountId = openOptions.accountId ?? `conformance-${checkId}-${++opened}`;
      const store = openOptions.store ?? createInspectableTokenStore();
      const secrets = openOptions.secrets ?? createControlledSecretStore(environment.secrets);
      const logger = createCapturingLogger();
      const session = provider.createSession({
        accountId,
        settings: openOptions.settings ?? environment.settings,
        secrets,
        tokenStore: store,
        logger,
        now: clock.now,
      });
      const changes: SessionChange[] = [];
      const subscription = session.onDidChangeSession((change) => changes.push(change));
      cleanups.push(async () => {
        await subscription.dispose();
        await session.dispose();
      });
      return { session, accountId, store, secrets, logger, changes };
    },
    async authorize(bound) {
      const { session } = bound;
      if (provider.capabilities.interactive) {
        const consent = needEnvironment(environment.consent, 'consent', 'interactive sign-in');
        ensure(session.interactive, 'capabilities.interactive is true but the session has no `interactive`.');
        const interactive = session.interactive;
        const start = await succeeds(() => interactive.begin(), 'interactive.begin()');
        const params = await succeeds(() => consent(start, 'approve'), 'The environment playing consent');
        await succeeds(() => interactive.complete(params), 'interactive.complete() after consent');
        return;
      }
      if (provider.capabilities.deviceCode) {
        ensure(session.deviceCode, 'capabilities.deviceCode is true but the session has no `deviceCode`.');
        const deviceCode = session.deviceCode;
        await succeeds(() => signInWithDeviceCode(deviceCode, environment), 'deviceCode.signIn()');
        return;
      }
      ensure(
        provider.capabilities.appOnly || provider.capabilities.credentialKind === 'password',
        'the provider offers no way to sign in (capabilities: interactive, deviceCode and appOnly all false), so the suite cannot authorize a session.',
      );
    },
    async dueForRefresh(given) {
      const bound = given ?? harness.open();
      await harness.authorize(bound);
      const before = await succeeds(
        () => bound.session.getCredential({ protocol }),
        'getCredential on an authorized session',
      );
      ensure(before.kind === 'oauth2', `an OAuth provider handed out a ${before.kind} credential.`);
      // Past the expiry on the session clock (and past any early-refresh window).
      clock.advance(Math.max(0, before.expiresAt - clock.now()) + 60_000);
      return { bound, before };
    },
    fail(what) {
      let handle: FaultHandle;
      if (what === 'revocation') {
        needEnvironment(environment.failRevocation, 'failRevocation', 'revocation failures');
        handle = environment.failRevocation?.() as FaultHandle;
      } else {
        needEnvironment(environment.failTokenRequests, 'failTokenRequests', `${what} token requests`);
        handle = environment.failTokenRequests?.(what) as FaultHandle;
      }
      cleanups.push(() => handle.remove());
      return handle;
    },
    onCleanup(cleanup) {
      cleanups.push(cleanup);
    },
    dispose: () => runCleanups(cleanups),
  };
  return harness;
}

function needEnvironment<T>(member: T | undefined, name: string, purpose: string): T {
  if (member === undefined) {
    throw new ConformanceError(
      `the environment has no \`${name}\`, which this check needs for ${purpose}. Add it to the environment, or opt out of this check with a reason.`,
    );
  }
  return member;
}

/** Device-code sign-in with the environment approving the prompt as the user would. */
export async function signInWithDeviceCode(
  deviceCode: DeviceCodeSignIn,
  environment: ProviderEnvironment,
  onPrompt?: (prompt: DeviceCodePrompt) => void,
): Promise<MailboxIdentity> {
  needEnvironment(environment.approveDeviceCode, 'approveDeviceCode', 'device-code sign-in');
  let approval: Promise<void> = Promise.resolve();
  const identity = await deviceCode.signIn({
    timeoutMs: 20_000,
    onPrompt(prompt) {
      onPrompt?.(prompt);
      approval = Promise.resolve(environment.approveDeviceCode?.(prompt));
    },
  });
  await approval;
  return identity;
}

/** The session's providerId and accountId, for messages. */
export const who = (bound: BoundSession): string => `account "${bound.accountId}"`;

/** Keys the account still has in the suite's store. */
export const keysLeft = (bound: BoundSession): string[] =>
  bound.store.keys(accountKeyPrefix(bound.accountId));

/** Checks that the manifest reader accepts the package.json and finds the provider's id. */
export function manifestEntry(options: AuthProviderSuiteOptions, provider: AuthProvider) {
  return readAdapterManifest(options.packageJson).authProvider(provider.id);
}

/** Settings for a provider without an identity provider: each required field filled, secrets generated. */
export function derivedEnvironment(schema: SettingsSchema): ProviderEnvironment {
  const settings: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  for (const field of schema.fields) {
    if (!field.required || field.when || field.default !== undefined) continue;
    switch (field.type) {
      case 'secret':
        settings[field.key] = { secretRef: `conformance-${field.key}` };
        secrets[`conformance-${field.key}`] = randomBytes(18).toString('base64url');
        break;
      case 'email':
        settings[field.key] = 'conformance@example.com';
        break;
      case 'url':
        settings[field.key] = 'https://conformance.example.com/';
        break;
      case 'number':
        settings[field.key] = field.min ?? 1;
        break;
      case 'boolean':
        settings[field.key] = false;
        break;
      case 'enum':
        settings[field.key] = field.options?.[0]?.value ?? '';
        break;
      case 'date':
        settings[field.key] = '2030-01-01';
        break;
      case 'string[]':
        settings[field.key] = ['conformance'];
        break;
      default:
        settings[field.key] = 'conformance';
    }
  }
  return { settings, secrets };
}
