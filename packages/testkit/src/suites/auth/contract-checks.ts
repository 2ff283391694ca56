/** The contract every auth provider keeps: what it declares, its settings, its sessions' shape. */
import { type AuthProvider, validateSettings } from '@mailplug/core';
import { expectManifestMatches } from '../../manifest-check.js';
import { type Check, ConformanceError, describeError, ensure, succeeds } from '../conformance.js';
import type { AuthHarness } from './auth-harness.js';
import { invalidSettingsCases, schemaProblems } from './settings-cases.js';

export type AuthProviderCheck = Check<AuthHarness>;

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

const identity: AuthProviderCheck = {
  id: 'identity',
  name: 'declares specificationVersion v1, an id, a label and createSession',
  async run({ provider: p }) {
    ensure(
      p.specificationVersion === 'v1',
      `specificationVersion must be "v1", got ${String(p.specificationVersion)}.`,
    );
    ensure(
      nonEmpty(p.id) && !/\s/.test(p.id),
      `id must be a non-empty string without spaces, got ${JSON.stringify(p.id)}.`,
    );
    ensure(nonEmpty(p.label), 'label must be a non-empty string.');
    ensure(typeof p.createSession === 'function', 'createSession(init) must be a function.');
  },
};

const capabilities: AuthProviderCheck = {
  id: 'capabilities',
  name: 'capabilities are well-formed',
  async run({ provider: p }) {
    const c = p.capabilities;
    ensure(c && typeof c === 'object', 'capabilities must be an object.');
    ensure(
      c.credentialKind === 'password' || c.credentialKind === 'oauth2',
      `credentialKind must be "password" or "oauth2", got ${JSON.stringify(c.credentialKind)}.`,
    );
    ensure(
      Array.isArray(c.protocols) && c.protocols.length > 0,
      'capabilities.protocols must list at least one protocol.',
    );
    for (const flag of ['interactive', 'deviceCode', 'appOnly'] as const) {
      ensure(typeof c[flag] === 'boolean', `capabilities.${flag} must be a boolean.`);
    }
    ensure(
      !(c.appOnly && (c.interactive || c.deviceCode)),
      'an app-only provider cannot also offer user sign-in.',
    );
    ensure(
      c.credentialKind === 'oauth2' || !(c.interactive || c.deviceCode || c.appOnly),
      'a password provider has no OAuth sign-in (interactive, deviceCode and appOnly must be false).',
    );
  },
};

const manifest: AuthProviderCheck = {
  id: 'manifest',
  name: 'the package.json manifest declares exactly this provider (id, label, capabilities, settings schema)',
  async run({ provider, options }) {
    expectManifestMatches(options.packageJson, provider);
  },
};

const settings: AuthProviderCheck = {
  id: 'settings',
  name: 'the settings schema is well-formed, accepts the working settings and rejects bad ones with a fix',
  async run({ provider, environment, options }) {
    const problems = schemaProblems(provider.settingsSchema);
    ensure(problems.length === 0, `settingsSchema: ${problems.join(' ')}`);
    const issuesOf = (values: Readonly<Record<string, unknown>>, what: string) => {
      let own: readonly { path: string; message: string; fix: string }[] = [];
      try {
        own = provider.validateSettings?.(values) ?? [];
      } catch (error) {
        throw new ConformanceError(
          `validateSettings must return issues, never throw (admin forms call it on half-filled settings); for ${what} it threw ${describeError(error)}`,
        );
      }
      ensure(Array.isArray(own), `validateSettings must return an array, got ${typeof own} for ${what}.`);
      return [...validateSettings(provider.settingsSchema, values), ...own];
    };
    const working = issuesOf(environment.settings, 'the environment settings');
    ensure(
      working.length === 0,
      `the environment's settings were rejected: ${working.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
    issuesOf({}, 'empty settings');
    const cases = [
      ...invalidSettingsCases(provider.settingsSchema, environment.settings),
      ...(options.invalidSettings ?? []),
    ];
    for (const bad of cases) {
      const issues = issuesOf(bad.settings, `settings ${JSON.stringify(bad.settings)}`);
      for (const path of bad.paths) {
        ensure(
          issues.some((i) => i.path === path),
          `settings ${JSON.stringify(bad.settings)} should have an issue at "${path}"; got [${issues.map((i) => i.path).join(', ')}].`,
        );
      }
      for (const issue of issues) {
        ensure(
          nonEmpty(issue.message) && nonEmpty(issue.fix),
          `the issue at "${issue.path}" needs a message and a fix.`,
        );
      }
    }
  },
};

const session: AuthProviderCheck = {
  id: 'session',
  name: 'a session names its provider and account and has exactly the sign-in sub-objects its capabilities promise',
  async run(h) {
    const { provider: p } = h;
    const bound = h.open();
    const s = bound.session;
    ensure(
      s.providerId === p.id,
      `session.providerId must be "${p.id}", got ${JSON.stringify(s.providerId)}.`,
    );
    ensure(
      s.accountId === bound.accountId,
      `session.accountId must be the accountId it was created for ("${bound.accountId}"), got ${JSON.stringify(s.accountId)}.`,
    );
    checkSubObjects(p, s);
    for (const m of ['getCredential', 'checkAuthorization', 'signOut', 'dispose'] as const) {
      ensure(typeof s[m] === 'function', `session.${m} must be a function.`);
    }
    ensure(typeof s.onDidChangeSession === 'function', 'onDidChangeSession must be an event function.');
    const subscription = s.onDidChangeSession(() => {});
    ensure(
      subscription && typeof subscription.dispose === 'function',
      'onDidChangeSession must return { dispose() }.',
    );
    await succeeds(async () => {
      await subscription.dispose();
      await subscription.dispose();
    }, 'Disposing an onDidChangeSession subscription twice');
    const other = h.open();
    await succeeds(async () => {
      await other.session.dispose();
      await other.session.dispose();
    }, 'Disposing a session twice');
  },
};

/** `interactive` / `deviceCode` are whole when present, absent otherwise, and match the capabilities. */
export function checkSubObjects(p: AuthProvider, s: { interactive?: unknown; deviceCode?: unknown }): void {
  const interactive = s.interactive as { begin?: unknown; complete?: unknown } | undefined;
  ensure(
    interactive === undefined ||
      (typeof interactive.begin === 'function' && typeof interactive.complete === 'function'),
    'session.interactive must be whole: begin() and complete() both.',
  );
  ensure(
    (interactive !== undefined) === p.capabilities.interactive,
    `session.interactive is ${interactive === undefined ? 'absent' : 'present'} but capabilities.interactive (from the manifest) is ${p.capabilities.interactive}.`,
  );
  const deviceCode = s.deviceCode as { signIn?: unknown } | undefined;
  ensure(
    deviceCode === undefined || typeof deviceCode.signIn === 'function',
    'session.deviceCode must be whole: signIn().',
  );
  ensure(
    (deviceCode !== undefined) === p.capabilities.deviceCode,
    `session.deviceCode is ${deviceCode === undefined ? 'absent' : 'present'} but capabilities.deviceCode (from the manifest) is ${p.capabilities.deviceCode}.`,
  );
}

const credential: AuthProviderCheck = {
  id: 'credential',
  name: 'an authorized session hands out a well-formed credential and checkAuthorization says authorized',
  async run(h) {
    const { provider: p, protocol, clock } = h;
    const bound = h.open();
    await h.authorize(bound);
    const cred = await succeeds(
      () => bound.session.getCredential({ protocol }),
      'getCredential on an authorized session',
    );
    ensure(
      cred.kind === p.capabilities.credentialKind,
      `credential kind ${cred.kind} differs from capabilities.credentialKind ${p.capabilities.credentialKind}.`,
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
        Number.isFinite(cred.expiresAt) && cred.expiresAt > clock.now(),
        `credential.expiresAt must be a future epoch-ms time on the session clock (init.now), got ${cred.expiresAt}.`,
      );
      ensure(
        Array.isArray(cred.scopes) && cred.scopes.every((x) => typeof x === 'string'),
        'credential.scopes must be a string array.',
      );
    }
    const status = await succeeds(
      () => bound.session.checkAuthorization(),
      'checkAuthorization on an authorized session',
    );
    ensure(
      status.state === 'authorized',
      `checkAuthorization must say "authorized", got "${status.state}"${status.error ? `: ${describeError(status.error)}` : ''}.`,
    );
    ensure(Array.isArray(status.grantedScopes), 'checkAuthorization: grantedScopes must be an array.');
    ensure(status.error === undefined, 'checkAuthorization: an authorized status carries no error.');
    if (status.identity)
      ensure(nonEmpty(status.identity.mailbox), 'checkAuthorization: identity.mailbox must be non-empty.');
  },
};

/** The contract checks, in registration order. */
export const contractChecks: readonly AuthProviderCheck[] = [
  identity,
  capabilities,
  manifest,
  settings,
  session,
  credential,
];
