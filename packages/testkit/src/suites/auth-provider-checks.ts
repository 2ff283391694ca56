import { randomUUID } from 'node:crypto';
import {
  type AuthProvider,
  type AuthProviderDefinition,
  CoreErrorCode,
  type ProtocolId,
  type SignInCallbackParams,
  type SignInStart,
  validateSettings,
} from '@mailplug/core';
import {
  type AuthProviderLifecycleOptions,
  authProviderLifecycleChecks,
} from './auth-provider-lifecycle-checks.js';
import {
  type Check,
  ConformanceError,
  ensure,
  expectCode,
  rejection,
  type SuiteHooks,
  using,
} from './conformance.js';

export interface InvalidSettingsCase {
  readonly settings: Readonly<Record<string, unknown>>;
  /** Paths (relative to the settings object, e.g. `clientId`) that must each carry an issue. */
  readonly paths: readonly string[];
}

/**
 * Capability flags switch groups of checks on; hooks give the suite working sessions. The token
 * lifecycle checks ({@link AuthProviderLifecycleOptions}) run only when their hooks are given.
 */
export interface AuthProviderSuiteOptions extends SuiteHooks, AuthProviderLifecycleOptions {
  /** Browser sign-in (`beginSignIn` / `completeSignIn`). */
  readonly interactive?: boolean;
  readonly deviceCode?: boolean;
  readonly appOnly?: boolean;
  /** Settings the schema must accept. */
  readonly validSettings: Readonly<Record<string, unknown>>;
  /** Settings the schema must reject, with the paths that must be named. At least one case. */
  readonly invalidSettings: readonly InvalidSettingsCase[];
  /** Protocol to request credentials for; defaults to the first the provider supports. */
  readonly protocol?: ProtocolId;
  /** A session with valid settings and empty stores (nobody signed in yet). */
  createSession(definition: AuthProviderDefinition): AuthProvider | Promise<AuthProvider>;
  /** A session that can hand out a credential right now (signed in, or app-only configured). */
  authorizedSession(definition: AuthProviderDefinition): AuthProvider | Promise<AuthProvider>;
  /**
   * A session whose `getCredential` fails while `plantedSecret` is in play (as the password,
   * client secret or refresh token the identity provider rejects). The suite checks it never leaks.
   */
  failingSession(
    definition: AuthProviderDefinition,
    plantedSecret: string,
  ): AuthProvider | Promise<AuthProvider>;
  /** Interactive: play the user's consent for `start` and return the redirect's query parameters. */
  authorize?(start: SignInStart): Promise<SignInCallbackParams>;
}

export type AuthProviderCheck = Check<AuthProviderDefinition, AuthProviderSuiteOptions>;

const protocolOf = (d: AuthProviderDefinition, o: AuthProviderSuiteOptions): ProtocolId =>
  o.protocol ?? d.capabilities.protocols[0] ?? 'smtp';

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

export const identityCheck: AuthProviderCheck = {
  name: 'declares specificationVersion v1, an id and a label',
  async run(d) {
    ensure(
      d.specificationVersion === 'v1',
      `specificationVersion must be "v1", got ${String(d.specificationVersion)}.`,
    );
    ensure(
      nonEmpty(d.id) && !/\s/.test(d.id),
      `id must be a non-empty string without spaces, got ${JSON.stringify(d.id)}.`,
    );
    ensure(nonEmpty(d.label), 'label must be a non-empty string.');
    ensure(typeof d.create === 'function', 'create(init) must be a function.');
  },
};

export const capabilitiesCheck: AuthProviderCheck = {
  name: 'capabilities are well-formed and match the suite flags',
  async run(d, o) {
    const c = d.capabilities;
    ensure(c && typeof c === 'object', 'capabilities must be an object.');
    ensure(
      c.credentialKind === 'password' || c.credentialKind === 'oauth2',
      'credentialKind must be "password" or "oauth2".',
    );
    ensure(
      Array.isArray(c.protocols) && c.protocols.length > 0,
      'capabilities.protocols must list at least one protocol.',
    );
    for (const flag of ['interactive', 'deviceCode', 'appOnly'] as const) {
      ensure(typeof c[flag] === 'boolean', `capabilities.${flag} must be a boolean.`);
      ensure(
        c[flag] === (o[flag] ?? false),
        `capabilities.${flag} is ${c[flag]} but the suite was told ${o[flag] ?? false}.`,
      );
    }
    ensure(
      !(c.appOnly && (c.interactive || c.deviceCode)),
      'an app-only provider cannot also offer user sign-in.',
    );
  },
};

export const validSettingsCheck: AuthProviderCheck = {
  name: 'settingsSchema (and validateSettings) accept the valid settings',
  async run(d, o) {
    ensure(
      d.settingsSchema && Array.isArray(d.settingsSchema.fields),
      'settingsSchema.fields must be an array.',
    );
    const issues = [
      ...validateSettings(d.settingsSchema, o.validSettings),
      ...(d.validateSettings?.(o.validSettings) ?? []),
    ];
    ensure(
      issues.length === 0,
      `valid settings were rejected: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  },
};

export const invalidSettingsCheck: AuthProviderCheck = {
  name: 'settingsSchema rejects bad settings, naming each path with a fix',
  async run(d, o) {
    ensure(o.invalidSettings.length > 0, 'the suite needs at least one invalidSettings case.');
    for (const bad of o.invalidSettings) {
      const issues = [
        ...validateSettings(d.settingsSchema, bad.settings),
        ...(d.validateSettings?.(bad.settings) ?? []),
      ];
      for (const path of bad.paths) {
        ensure(
          issues.some((i) => i.path === path),
          `settings ${JSON.stringify(Object.keys(bad.settings))} should have an issue at "${path}"; got [${issues.map((i) => i.path).join(', ')}].`,
        );
      }
      for (const issue of issues) {
        ensure(
          nonEmpty(issue.message) && nonEmpty(issue.fix),
          `issue at "${issue.path}" needs a message and a fix.`,
        );
      }
    }
  },
};

export const sessionShapeCheck: AuthProviderCheck = {
  name: 'a bound session names itself and has exactly the optional methods its capabilities promise',
  async run(d, o) {
    await using(o.createSession(d), async (s) => {
      ensure(
        s.providerId === d.id,
        `session.providerId must be "${d.id}", got ${JSON.stringify(s.providerId)}.`,
      );
      ensure(nonEmpty(s.accountId), 'session.accountId must be a non-empty string.');
      const c = d.capabilities;
      const interactive = typeof s.beginSignIn === 'function' && typeof s.completeSignIn === 'function';
      ensure(
        interactive === c.interactive,
        `beginSignIn/completeSignIn presence (${interactive}) must match capabilities.interactive (${c.interactive}).`,
      );
      const device = typeof s.signInWithDeviceCode === 'function';
      ensure(
        device === c.deviceCode,
        `signInWithDeviceCode presence (${device}) must match capabilities.deviceCode (${c.deviceCode}).`,
      );
      for (const m of ['getCredential', 'checkAuthorization', 'signOut', 'dispose'] as const) {
        ensure(typeof s[m] === 'function', `session.${m} must be a function.`);
      }
    });
  },
};

export const credentialCheck: AuthProviderCheck = {
  name: 'getCredential returns a well-formed credential of the declared kind',
  async run(d, o) {
    await using(o.authorizedSession(d), async (s) => {
      const cred = await s.getCredential({ protocol: protocolOf(d, o) });
      ensure(
        cred.kind === d.capabilities.credentialKind,
        `credential kind ${cred.kind} differs from ${d.capabilities.credentialKind}.`,
      );
      ensure(nonEmpty(cred.user), 'credential.user must be non-empty.');
      if (cred.kind === 'password') {
        ensure(nonEmpty(cred.password), 'credential.password must be non-empty.');
      } else {
        ensure(
          cred.kind === 'oauth2',
          `credential.kind must be "password" or "oauth2", got ${String((cred as { kind: unknown }).kind)}.`,
        );
        ensure(nonEmpty(cred.accessToken), 'credential.accessToken must be non-empty.');
        ensure(
          Number.isFinite(cred.expiresAt) && cred.expiresAt > Date.now(),
          'credential.expiresAt must be a future epoch-ms time.',
        );
        ensure(
          Array.isArray(cred.scopes) && cred.scopes.every((x) => typeof x === 'string'),
          'credential.scopes must be a string array.',
        );
      }
    });
  },
};

export const checkAuthorizationCheck: AuthProviderCheck = {
  name: 'checkAuthorization reports an authorized session as authorized',
  async run(d, o) {
    await using(o.authorizedSession(d), async (s) => {
      const status = await s.checkAuthorization();
      ensure(
        status.state === 'authorized',
        `state must be "authorized", got ${status.state}${status.problem ? ` (${status.problem.code})` : ''}.`,
      );
      ensure(Array.isArray(status.grantedScopes), 'grantedScopes must be an array.');
    });
  },
};

export const redactionCheck: AuthProviderCheck = {
  name: 'a failing getCredential throws a MailplugError that never shows the secret',
  async run(d, o) {
    const planted = `Planted-${randomUUID()}`;
    await using(o.failingSession(d, planted), async (s) => {
      const err = await rejection(
        () => s.getCredential({ protocol: protocolOf(d, o) }),
        'getCredential on the failing session',
      );
      const cause = err.cause as { message?: unknown } | undefined;
      const surfaces: [string, string][] = [
        ['message', err.message],
        ['hint', err.hint],
        ['toString()', String(err)],
        ['JSON', JSON.stringify(err)],
        ['stack', err.stack ?? ''],
        ['cause', `${String(cause)} ${String(cause?.message ?? '')}`],
      ];
      for (const [where, text] of surfaces) {
        ensure(!text.includes(planted), `the planted secret appears in the error's ${where}.`);
      }
    });
  },
};

export const disposeCheck: AuthProviderCheck = {
  name: 'dispose is idempotent',
  async run(d, o) {
    const s = await o.createSession(d);
    await s.dispose();
    await s.dispose();
  },
};

export const sessionEventCheck: AuthProviderCheck = {
  name: 'onDidChangeSession returns a Disposable',
  async run(d, o) {
    await using(o.createSession(d), async (s) => {
      ensure(typeof s.onDidChangeSession === 'function', 'onDidChangeSession must be an event function.');
      const subscription = s.onDidChangeSession(() => {});
      ensure(
        subscription && typeof subscription.dispose === 'function',
        'onDidChangeSession must return { dispose() }.',
      );
      await subscription.dispose();
      await subscription.dispose();
    });
  },
};

const interactiveOnly = (o: AuthProviderSuiteOptions) => o.interactive === true;

export const beginSignInCheck: AuthProviderCheck = {
  name: 'beginSignIn returns an authorization URL with state and a PKCE S256 challenge',
  applies: interactiveOnly,
  async run(d, o) {
    await using(o.createSession(d), async (s) => {
      ensure(s.beginSignIn, 'beginSignIn is missing.');
      const start = await s.beginSignIn();
      let url: URL;
      try {
        url = new URL(start.url);
      } catch {
        throw new ConformanceError(`beginSignIn url is not a URL: ${start.url}`);
      }
      ensure(
        url.protocol === 'https:' || url.protocol === 'http:',
        `the sign-in URL must be http(s), got ${url.protocol}.`,
      );
      ensure(
        nonEmpty(start.state) && start.state.length >= 16,
        'state must be an unguessable string (16+ characters).',
      );
      ensure(url.searchParams.get('state') === start.state, 'the URL must carry the returned state.');
      ensure(
        /^[A-Za-z0-9_-]{43,128}$/.test(url.searchParams.get('code_challenge') ?? ''),
        'the URL must carry a PKCE code_challenge.',
      );
      ensure(url.searchParams.get('code_challenge_method') === 'S256', 'code_challenge_method must be S256.');
      ensure(nonEmpty(start.redirectUri), 'redirectUri must be returned.');
      ensure(start.expiresAt > Date.now(), 'expiresAt must be in the future.');
      const second = await s.beginSignIn();
      ensure(second.state !== start.state, 'each beginSignIn must use a fresh state.');
    });
  },
};

export const unknownStateCheck: AuthProviderCheck = {
  name: 'completeSignIn rejects an unknown state with SIGN_IN_STATE_INVALID',
  applies: interactiveOnly,
  async run(d, o) {
    await using(o.createSession(d), async (s) => {
      ensure(s.completeSignIn, 'completeSignIn is missing.');
      await expectCode(
        () => s.completeSignIn!({ state: `unknown-${randomUUID()}`, code: 'some-code' }),
        CoreErrorCode.SignInStateInvalid,
        'completeSignIn with a state nobody issued',
      );
    });
  },
};

export const deniedCheck: AuthProviderCheck = {
  name: 'completeSignIn reports denied consent with SIGN_IN_DENIED and then treats the state as used',
  applies: interactiveOnly,
  async run(d, o) {
    await using(o.createSession(d), async (s) => {
      ensure(s.beginSignIn && s.completeSignIn, 'interactive methods are missing.');
      const start = await s.beginSignIn();
      await expectCode(
        () =>
          s.completeSignIn!({
            state: start.state,
            error: 'access_denied',
            error_description: 'The user declined.',
          }),
        CoreErrorCode.SignInDenied,
        'completeSignIn with error=access_denied',
      );
      await expectCode(
        () => s.completeSignIn!({ state: start.state, code: 'late-code' }),
        CoreErrorCode.SignInStateInvalid,
        'completeSignIn reusing a state',
      );
    });
  },
};

export const completeSignInCheck: AuthProviderCheck = {
  name: 'completeSignIn returns the mailbox after consent and refuses to reuse the state',
  applies: (o) => o.interactive === true && typeof o.authorize === 'function',
  async run(d, o) {
    await using(o.createSession(d), async (s) => {
      ensure(
        s.beginSignIn && s.completeSignIn && o.authorize,
        'interactive methods or the authorize hook are missing.',
      );
      const start = await s.beginSignIn();
      const params = await o.authorize(start);
      const identity = await s.completeSignIn(params);
      ensure(nonEmpty(identity.mailbox), 'completeSignIn must return the signed-in mailbox.');
      const cred = await s.getCredential({ protocol: protocolOf(d, o) });
      ensure(nonEmpty(cred.user), 'after sign-in getCredential must succeed.');
      await expectCode(
        () => s.completeSignIn!(params),
        CoreErrorCode.SignInStateInvalid,
        'completeSignIn replaying a callback',
      );
    });
  },
};

/** Every check, in the order the suite registers them. */
export const authProviderChecks = {
  identity: identityCheck,
  capabilities: capabilitiesCheck,
  validSettings: validSettingsCheck,
  invalidSettings: invalidSettingsCheck,
  sessionShape: sessionShapeCheck,
  credential: credentialCheck,
  checkAuthorization: checkAuthorizationCheck,
  redaction: redactionCheck,
  dispose: disposeCheck,
  sessionEvent: sessionEventCheck,
  beginSignIn: beginSignInCheck,
  unknownState: unknownStateCheck,
  denied: deniedCheck,
  completeSignIn: completeSignInCheck,
  ...authProviderLifecycleChecks,
} as const;
