import type {
  AuthProvider,
  DeviceCodePrompt,
  ProtocolId,
  SignInCallbackParams,
  SignInStart,
} from '@mailplug/core';
import type { SuiteHooks } from '../conformance.js';

/** A failure the environment injected at the identity provider; the suite removes it after the check. */
export interface FaultHandle {
  /** How many requests the fault has failed so far. */
  readonly hits: number;
  remove(): void;
}

/**
 * The world a provider signs in to: settings and secrets that work, and the parts of the identity
 * provider the suite plays (the user at the consent page) or breaks (revoked grants, outages).
 * `emulatorEnvironment` builds one for the first-party providers against `@mailplug/emulator`; a
 * third-party provider gives its own, or none at all for a provider without an identity provider
 * (the suite then derives settings from the schema).
 */
export interface ProviderEnvironment {
  /** Settings the provider accepts (the suite validates them against the schema first). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** The secret store's contents that `{ secretRef }` settings name: name → value. */
  readonly secrets: Readonly<Record<string, string>>;
  /** Settings for device-code sign-in where they differ (Microsoft: a public client). Default `settings`. */
  readonly deviceCodeSettings?: Readonly<Record<string, unknown>>;
  /**
   * Interactive sign-in: act as the user on the consent page `start.url` leads to, and return the
   * query parameters the identity provider redirected back with.
   */
  consent?(start: SignInStart, decision: 'approve' | 'deny'): Promise<SignInCallbackParams>;
  /** Device-code sign-in: act as the user who enters the prompt's code and approves. */
  approveDeviceCode?(prompt: DeviceCodePrompt): void | Promise<void>;
  /**
   * Make every token request fail until removed: `revoked` with the identity provider's answer for
   * a dead grant (Google `invalid_grant`, Entra AADSTS700082), `unavailable` with a 503.
   */
  failTokenRequests?(failure: 'revoked' | 'unavailable'): FaultHandle;
  /** Make the revocation endpoint fail until removed (providers that revoke on sign-out). */
  failRevocation?(): FaultHandle;
  /** The identity provider issues a new refresh token on every refresh and kills the old one. */
  readonly rotatesRefreshTokens?: boolean;
}

/** Retry policy for transient token-endpoint failures, as the uniform factory option `retry`. */
export interface SuiteRetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** What the suite passes to the factory: spread it into the provider's options. */
export interface SuiteProviderOptions {
  /** A fast policy, so that checks on transient failures finish well inside a runner's default timeout. */
  readonly retry: SuiteRetryPolicy;
}

/** The policy the suite hands to every factory: two attempts, milliseconds apart. */
export const SUITE_RETRY: SuiteRetryPolicy = Object.freeze({ attempts: 2, baseDelayMs: 1, maxDelayMs: 5 });

export interface InvalidSettingsCase {
  readonly settings: Readonly<Record<string, unknown>>;
  /** Paths (relative to the settings object, e.g. `clientId`) that must each carry an issue. */
  readonly paths: readonly string[];
}

/** What `readAdapterManifest` reads: the adapter's package.json, imported as JSON. */
export interface AdapterPackageJson {
  readonly name?: unknown;
  readonly mailplug?: unknown;
}

/** Lifecycle checks an adapter may opt out of, each with a reason the suite prints. */
export type AuthProviderOptOutId =
  | 'signInRequired'
  | 'interactiveBegin'
  | 'interactiveComplete'
  | 'deniedConsent'
  | 'signInStateExpiry'
  | 'deviceCode'
  | 'redaction'
  | 'signOut'
  | 'refreshExpiry'
  | 'transientFailure'
  | 'revokedGrant'
  | 'rotation';

export interface AuthProviderSuiteOptions extends SuiteHooks {
  /** The adapter's package.json: its `mailplug` manifest must declare exactly what the provider is. */
  readonly packageJson: AdapterPackageJson;
  /**
   * Where the provider signs in. Default: settings derived from the schema (each required field
   * filled, secrets generated) — enough for providers without an identity provider.
   */
  environment?(provider: AuthProvider): ProviderEnvironment | Promise<ProviderEnvironment>;
  /** Protocol to request credentials for. Default: the first in `capabilities.protocols`. */
  readonly protocol?: ProtocolId;
  /** Provider-specific bad settings (cross-field rules), beyond those the suite derives from the schema. */
  readonly invalidSettings?: readonly InvalidSettingsCase[];
  /** Checks this provider cannot keep, each with the reason (printed instead of running the check). */
  readonly optOut?: Readonly<Partial<Record<AuthProviderOptOutId, string>>>;
}

/** The factory the suite calls for a fresh provider per check; pass `options` on (`retry`). */
export type AuthProviderFactory = (options: SuiteProviderOptions) => AuthProvider;
