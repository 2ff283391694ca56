/**
 * The identity half of the emulator as one object: an HTTP handler for both flavours plus the
 * programmatic controls tests use (inject errors, approve device codes, move the clock).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createInjections,
  type GoogleInjection,
  type InjectionContext,
  type InjectionHandle,
  type Injections,
  type MicrosoftInjection,
  normalizeGrant,
} from '../faults/injections.js';
import {
  type GoogleServiceAccountInput,
  type IdentityConfig,
  type IdentityConfigInput,
  type MicrosoftAppInput,
  normalizeMicrosoftApp,
  normalizeServiceAccount,
  normalizeUser,
  resolveIdentityConfig,
  type TestUser,
  type TestUserInput,
} from './config.js';
import {
  decideDeviceCode,
  handleConsentPost,
  handleDeviceLoginPost,
  renderDeviceLoginPage,
} from './consent.js';
import type { IdentityEvents } from './events.js';
import { GOOGLE_PREFIX, handleGoogle, serviceAccountKeyJson } from './google.js';
import { basicCredentials, json, readForm, sendReply } from './http.js';
import { decodeJwt } from './jwt.js';
import { handleMicrosoft, isMicrosoftPath } from './microsoft.js';
import { createIdentityState, type IdentityState } from './state.js';
import {
  type AccessTokenInfo,
  createAccessTokenValidator,
  handleIntrospection,
  type ValidateAccessToken,
} from './validate.js';

export interface IdentityProvider {
  /** Handles identity routes; resolves false when the path is not an identity endpoint. */
  handle(req: IncomingMessage, res: ServerResponse, origin: string): Promise<boolean>;
  readonly validateAccessToken: ValidateAccessToken;
  readonly events: IdentityEvents;
  readonly config: IdentityConfig;
  readonly inject: {
    /** e.g. `{ aadsts: 7000222, clientId }`, `{ status: 429, retryAfterSeconds: 1 }`, `{ delayMs: 200 }`. */
    microsoft(spec: MicrosoftInjection): InjectionHandle;
    /** e.g. `{ error: 'invalid_grant', user: 'alice@contoso.test' }`. */
    google(spec: GoogleInjection): InjectionHandle;
    clear(): void;
  };
  addUser(user: TestUserInput): TestUser;
  addMicrosoftApp(app: MicrosoftAppInput): void;
  addGoogleServiceAccount(sa: GoogleServiceAccountInput): void;
  /** What the verification page does, without a browser. */
  approveDeviceCode(userCode: string, email?: string): void;
  denyDeviceCode(userCode: string): void;
  /** Moves the emulator's clock forward (codes, device codes and refresh tokens expire). */
  advanceClock(seconds: number): void;
  /** Marks every refresh token (optionally of one user) expired: the next refresh fails with AADSTS700082 / Google invalid_grant. */
  expireRefreshTokens(email?: string): number;
  /** A Google service-account key file (JSON object) for a registered account. */
  serviceAccountKey(clientEmail: string, googleBase: string): Record<string, string>;
  /** @internal shared state for the web page and tests. */
  readonly state: IdentityState;
}

function endpointOf(path: string): string {
  const last = path.split('/').pop() ?? '';
  if (last === 'auth' || last === 'authorize') return 'authorize';
  return last;
}

/** Who a request is about, before the endpoint runs (so transport faults can match by user and grant). */
function faultContext(
  state: IdentityState,
  path: string,
  url: URL,
  form: URLSearchParams,
  clientId?: string,
) {
  const grant = normalizeGrant(form.get('grant_type'));
  const endpoint = endpointOf(path);
  if (grant === 'jwt-bearer') {
    const claims = decodeJwt(form.get('assertion') ?? '')?.claims ?? {};
    const iss = typeof claims.iss === 'string' ? claims.iss : undefined;
    const sa = state.config.googleServiceAccounts.find((s) => s.clientEmail === iss);
    const sub = typeof claims.sub === 'string' ? claims.sub : undefined;
    return { endpoint, grant, clientIds: [sa?.clientId, iss], user: sub } satisfies InjectionContext;
  }
  const user =
    endpoint === 'authorize'
      ? (url.searchParams.get('login_hint') ?? undefined)
      : (state.codes.get(form.get('code') ?? '')?.user.email ??
        state.refreshTokens.get(form.get('refresh_token') ?? '')?.user.email ??
        state.deviceCodes.get(form.get('device_code') ?? '')?.user?.email);
  return { endpoint, grant, clientIds: [clientId], user } satisfies InjectionContext;
}

export interface IdentityProviderOptions {
  /** Shared with the other halves of the emulator so one `clear()` removes every rule. */
  readonly injections?: Injections;
}

export function createIdentityProvider(
  input: IdentityConfigInput = {},
  options: IdentityProviderOptions = {},
): IdentityProvider {
  const state = createIdentityState(resolveIdentityConfig(input), options.injections ?? createInjections());
  const validateAccessToken = createAccessTokenValidator(state);
  const config = state.config;

  async function handle(req: IncomingMessage, res: ServerResponse, origin: string): Promise<boolean> {
    const url = new URL(req.url ?? '/', origin);
    const path = url.pathname;
    const isGoogle = path.startsWith(`${GOOGLE_PREFIX}/`);
    const isMs = !isGoogle && isMicrosoftPath(path);
    const isShared = ['/consent', '/devicelogin', '/introspect'].includes(path);
    if (!isGoogle && !isMs && !isShared) return false;
    let form = new URLSearchParams();
    try {
      if (req.method === 'POST') form = await readForm(req);
    } catch {
      sendReply(
        res,
        json(400, { error: 'invalid_request', error_description: 'The request body could not be read.' }),
      );
      return true;
    }
    const clientId = form.get('client_id') ?? url.searchParams.get('client_id') ?? basicCredentials(req)?.id;
    const flavour = isGoogle ? 'google' : 'microsoft';
    const ctx = faultContext(state, path, url, form, clientId ?? undefined);
    const transport = state.injections.takeTransport(flavour, ctx);
    if (transport.delayMs > 0) await sleep(transport.delayMs);
    if (transport.reply) {
      state.events.record({
        kind: 'injected-error',
        flavour,
        grant: ctx.grant,
        clientId: clientId ?? undefined,
        user: ctx.user,
        detail: `${ctx.endpoint}: ${transport.label}`,
      });
      sendReply(res, transport.reply);
      return true;
    }
    if (isGoogle) sendReply(res, handleGoogle(state, req, url, origin, form));
    else if (isMs) sendReply(res, handleMicrosoft(state, url, origin, form));
    else if (path === '/consent')
      sendReply(
        res,
        req.method === 'POST' ? handleConsentPost(state, form) : json(405, { error: 'method_not_allowed' }),
      );
    else if (path === '/devicelogin') {
      sendReply(
        res,
        req.method === 'POST'
          ? handleDeviceLoginPost(state, form)
          : renderDeviceLoginPage(state, url.searchParams.get('code') ?? ''),
      );
    } else sendReply(res, await handleIntrospection(state, validateAccessToken, req, form));
    return true;
  }

  const decide = (userCode: string, email: string | undefined, approve: boolean) => {
    const result = decideDeviceCode(state, userCode, email, approve);
    if (!result.ok) throw new Error(`Device code ${userCode}: ${result.message}`);
  };

  return {
    handle,
    validateAccessToken,
    events: state.events,
    config,
    inject: {
      microsoft: (spec) => state.injections.add('microsoft', spec),
      google: (spec) => state.injections.add('google', spec),
      clear: () => state.injections.clear(),
    },
    addUser(user) {
      const u = normalizeUser(user);
      config.users.push(u);
      config.tenants.add(u.tenantId);
      return u;
    },
    addMicrosoftApp(app) {
      const a = normalizeMicrosoftApp(app);
      const i = config.microsoftApps.findIndex((x) => x.clientId === a.clientId);
      if (i >= 0) config.microsoftApps.splice(i, 1, a);
      else config.microsoftApps.push(a);
      config.tenants.add(a.tenantId);
    },
    addGoogleServiceAccount(sa) {
      config.googleServiceAccounts.push(normalizeServiceAccount(sa));
    },
    approveDeviceCode: (userCode, email) => decide(userCode, email, true),
    denyDeviceCode: (userCode) => decide(userCode, undefined, false),
    advanceClock: (seconds) => state.advanceClock(seconds),
    expireRefreshTokens(email) {
      let n = 0;
      for (const r of state.refreshTokens.values()) {
        if (!r.invalid && (!email || r.user.email === email.toLowerCase())) {
          r.invalid = 'expired';
          n += 1;
        }
      }
      return n;
    },
    serviceAccountKey(clientEmail, googleBase) {
      const sa = config.googleServiceAccounts.find((s) => s.clientEmail === clientEmail);
      if (!sa) throw new Error(`No Google service account ${clientEmail} is registered in the emulator.`);
      return serviceAccountKeyJson(sa, googleBase);
    },
    state,
  };
}

export type { AccessTokenInfo };
