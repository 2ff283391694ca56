/** Sign-in checks: nobody signed in yet, the host-driven browser flow, and device codes. */
import { randomUUID } from 'node:crypto';
import { CoreErrorCode, type DeviceCodePrompt, type InteractiveSignIn } from '@mailplug/core';
import { ConformanceError, ensure, expectCode, succeeds } from '../conformance.js';
import type { AuthHarness, BoundSession } from './auth-harness.js';
import { signInWithDeviceCode } from './auth-harness.js';
import type { AuthProviderCheck } from './contract-checks.js';

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

function interactiveOf(bound: BoundSession): InteractiveSignIn {
  const { interactive } = bound.session;
  if (!interactive)
    throw new ConformanceError('capabilities.interactive is true but the session has no `interactive`.');
  return interactive;
}

function consentOf(h: AuthHarness) {
  const { consent } = h.environment;
  if (!consent) {
    throw new ConformanceError(
      'the environment has no `consent`, which interactive checks need to play the user. Add it, or opt out of this check with a reason.',
    );
  }
  return consent;
}

/**
 * Begins a sign-in on `bound` (a new session by default) and plays the user's answer on the
 * consent page: what every interactive check starts with.
 */
async function beginAndAnswer(h: AuthHarness, answer: 'approve' | 'deny', bound?: BoundSession) {
  const consent = consentOf(h);
  const session = bound ?? h.open();
  const interactive = interactiveOf(session);
  const start = await succeeds(() => interactive.begin(), 'interactive.begin()');
  const params = await succeeds(
    () => consent(start, answer),
    answer === 'approve' ? 'The environment playing consent' : 'The environment playing a denied consent',
  );
  return { bound: session, interactive, start, params };
}

export const signInRequiredCheck: AuthProviderCheck = {
  id: 'signInRequired',
  name: 'before anyone signs in, getCredential fails with SIGN_IN_REQUIRED and checkAuthorization says signInRequired',
  canOptOut: true,
  async run(h) {
    const { session } = h.open();
    const error = await expectCode(
      () => session.getCredential({ protocol: h.protocol }),
      CoreErrorCode.SignInRequired,
      'getCredential before anyone signed in',
    );
    ensure(
      error.action === 'user',
      `SIGN_IN_REQUIRED is for the user to act on, got action "${error.action}".`,
    );
    const status = await succeeds(
      () => session.checkAuthorization(),
      'checkAuthorization before anyone signed in',
    );
    ensure(
      status.state === 'signInRequired',
      `checkAuthorization must say "signInRequired", got "${status.state}".`,
    );
  },
};

export const interactiveBeginCheck: AuthProviderCheck = {
  id: 'interactiveBegin',
  name: 'interactive.begin returns an authorization URL with a fresh state and a fresh PKCE S256 challenge',
  canOptOut: true,
  async run(h) {
    const interactive = interactiveOf(h.open());
    const start = await succeeds(() => interactive.begin(), 'interactive.begin()');
    let url: URL;
    try {
      url = new URL(start.url);
    } catch {
      throw new ConformanceError(`interactive.begin() returned a url that is not a URL: ${start.url}`);
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
    const challenge = url.searchParams.get('code_challenge') ?? '';
    ensure(/^[A-Za-z0-9_-]{43,128}$/.test(challenge), 'the URL must carry a PKCE code_challenge.');
    ensure(url.searchParams.get('code_challenge_method') === 'S256', 'code_challenge_method must be S256.');
    ensure(nonEmpty(start.redirectUri), 'redirectUri must be returned.');
    ensure(
      start.expiresAt > h.clock.now(),
      'expiresAt must be in the future on the session clock (init.now).',
    );
    const second = await succeeds(() => interactive.begin(), 'a second interactive.begin()');
    ensure(second.state !== start.state, 'each begin() must use a fresh state.');
    ensure(
      new URL(second.url).searchParams.get('code_challenge') !== challenge,
      'each begin() must use a fresh PKCE verifier (the code_challenge repeated).',
    );
  },
};

export const interactiveCompleteCheck: AuthProviderCheck = {
  id: 'interactiveComplete',
  name: 'interactive.complete signs in once: states are single-use, bound to their account, and unknown ones are refused',
  canOptOut: true,
  async run(h) {
    const { bound, interactive, params } = await beginAndAnswer(h, 'approve');
    const identity = await succeeds(
      () => interactive.complete(params),
      'interactive.complete() after consent',
    );
    ensure(nonEmpty(identity.mailbox), 'complete() must return the signed-in mailbox.');
    const added = bound.changes.filter((c) => c.type === 'added');
    ensure(
      added.length === 1 && added[0]?.accountId === bound.accountId,
      `a sign-in must fire one "added" event for "${bound.accountId}", fired ${added.length}.`,
    );
    const credential = await succeeds(
      () => bound.session.getCredential({ protocol: h.protocol }),
      'getCredential after sign-in',
    );
    ensure(nonEmpty(credential.user), 'after sign-in getCredential must name the mailbox (credential.user).');
    await expectCode(
      () => interactive.complete(params),
      CoreErrorCode.SignInStateInvalid,
      'complete() replaying a callback',
    );
    await expectCode(
      () => interactive.complete({ state: `unknown-${randomUUID()}`, code: 'some-code' }),
      CoreErrorCode.SignInStateInvalid,
      'complete() with a state nobody issued',
    );
    // A second instance of a multi-instance host shares the store; another account's session must
    // not complete a sign-in this account began.
    const other = h.open({ store: bound.store });
    const ownState = await beginAndAnswer(h, 'approve', bound);
    await expectCode(
      () => interactiveOf(other).complete(ownState.params),
      CoreErrorCode.SignInStateInvalid,
      "complete() on another account's session (same store) with this account's state",
    );
  },
};

export const deniedConsentCheck: AuthProviderCheck = {
  id: 'deniedConsent',
  name: 'denied consent fails with SIGN_IN_DENIED for the user, burns the state and signs nobody in',
  canOptOut: true,
  async run(h) {
    const { bound, interactive, params } = await beginAndAnswer(h, 'deny');
    const denied = await expectCode(
      () => interactive.complete(params),
      CoreErrorCode.SignInDenied,
      'complete() after denied consent',
    );
    ensure(
      denied.action === 'user',
      `SIGN_IN_DENIED is for the user to act on, got action "${denied.action}".`,
    );
    await expectCode(
      () =>
        interactive.complete({
          ...params,
          error: undefined,
          error_description: undefined,
          code: 'late-code',
        }),
      CoreErrorCode.SignInStateInvalid,
      'complete() reusing the state of a denied sign-in',
    );
    await expectCode(
      () => bound.session.getCredential({ protocol: h.protocol }),
      CoreErrorCode.SignInRequired,
      'getCredential after a denied consent',
    );
  },
};

export const signInStateExpiryCheck: AuthProviderCheck = {
  id: 'signInStateExpiry',
  name: 'a sign-in whose state expired is refused with SIGN_IN_STATE_INVALID',
  canOptOut: true,
  async run(h) {
    // Real consent, so that only the expiry can make the callback fail.
    const { interactive, start, params } = await beginAndAnswer(h, 'approve');
    ensure(
      start.expiresAt > h.clock.now(),
      'begin() must return an expiresAt after the session clock (init.now).',
    );
    h.clock.advance(start.expiresAt - h.clock.now() + 1_000);
    await expectCode(
      () => interactive.complete(params),
      CoreErrorCode.SignInStateInvalid,
      'complete() after the sign-in state expired',
    );
  },
};

export const deviceCodeCheck: AuthProviderCheck = {
  id: 'deviceCode',
  name: 'deviceCode.signIn prompts once with a code and a URL, and signs in when the user approves',
  canOptOut: true,
  async run(h) {
    const bound = h.open({ settings: h.environment.deviceCodeSettings ?? h.environment.settings });
    const { deviceCode } = bound.session;
    ensure(deviceCode, 'capabilities.deviceCode is true but the session has no `deviceCode`.');
    const prompts: DeviceCodePrompt[] = [];
    const identity = await succeeds(
      () => signInWithDeviceCode(deviceCode, h.environment, (prompt) => prompts.push(prompt)),
      'deviceCode.signIn() approved by the user',
    );
    ensure(prompts.length === 1, `onPrompt must be called once, was called ${prompts.length} times.`);
    const prompt = prompts[0] as DeviceCodePrompt;
    ensure(nonEmpty(prompt.userCode), 'the prompt needs a userCode.');
    ensure(URL.canParse(prompt.verificationUri), 'the prompt needs a verificationUri that is a URL.');
    ensure(nonEmpty(prompt.message), "the prompt needs the provider's message for the user.");
    ensure(prompt.expiresAt > h.clock.now(), 'the prompt expiresAt must be in the future.');
    ensure(nonEmpty(identity.mailbox), 'signIn() must return the signed-in mailbox.');
    await succeeds(
      () => bound.session.getCredential({ protocol: h.protocol }),
      'getCredential after a device-code sign-in',
    );
  },
};
