/**
 * Microsoft identity platform v2 endpoints: discovery, keys, authorize, token, devicecode.
 * Errors come back in Microsoft's shape (see errors.ts); injected faults win over natural ones.
 */
import { createHash } from 'node:crypto';
import { approve, errorPage, renderConsentPage } from './consent.js';
import { AADSTS, type HttpReply, microsoftError } from './errors.js';
import { json, redirect, redirectUriAllowed, withQuery } from './http.js';
import { jwkOf, newId } from './jwt.js';
import {
  authenticateClient,
  grantedDelegated,
  type MintContext,
  mintAppOnly,
  mintDelegated,
  type ParsedScopes,
  parseScopes,
  permissionBelongsTo,
} from './microsoft-tokens.js';
import type { IdentityState } from './state.js';

const ROUTE =
  /^\/([^/]+)\/(?:oauth2\/v2\.0\/(authorize|token|devicecode)|v2\.0\/\.well-known\/(openid-configuration)|discovery\/v2\.0\/(keys)|discovery\/(keys))$/;

export function isMicrosoftPath(path: string): boolean {
  return ROUTE.test(path);
}

export function handleMicrosoft(
  state: IdentityState,
  url: URL,
  origin: string,
  form: URLSearchParams,
): HttpReply {
  const m = ROUTE.exec(url.pathname);
  if (!m) return json(404, { error: 'not_found' });
  const tenantRaw = decodeURIComponent(m[1] ?? '');
  const endpoint = m[2] ?? m[3] ?? m[4] ?? m[5] ?? '';
  const tenant = state.resolveTenant(tenantRaw);
  if (endpoint === 'keys') return json(200, { keys: [jwkOf(state.key)] });
  if (!tenant) {
    return endpoint === 'authorize'
      ? errorPage('Tenant not found', `AADSTS90002: Tenant '${tenantRaw}' not found.`)
      : microsoftError(90002, `Tenant '${tenantRaw}' not found.`);
  }
  if (endpoint === 'openid-configuration') return json(200, microsoftDiscovery(origin, tenant));
  if (endpoint === 'authorize') return authorize(state, url, tenant);
  if (endpoint === 'devicecode') return deviceCode(state, form, tenant, origin);
  return token(state, form, tenant, origin, tenantRaw);
}

export function microsoftDiscovery(origin: string, tenant: string): Record<string, unknown> {
  const base = `${origin}/${tenant}`;
  const issuerTenant =
    tenant === 'consumers'
      ? '9188040d-6c67-4c5b-b112-36a304b66dad'
      : ['common', 'organizations'].includes(tenant)
        ? '{tenantid}'
        : tenant;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${origin}/${issuerTenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${origin}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'email',
      'oid',
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

function authorize(state: IdentityState, url: URL, tenant: string): HttpReply {
  const q = url.searchParams;
  const clientId = q.get('client_id') ?? '';
  const app = state.findMicrosoftApp(clientId);
  if (!app)
    return errorPage(
      'Application not found',
      `AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`,
    );
  const redirectUri = q.get('redirect_uri') ?? app.redirectUris[0] ?? '';
  if (!redirectUri || !redirectUriAllowed(app.redirectUris, redirectUri)) {
    return errorPage(
      'Redirect URI mismatch',
      `AADSTS50011: The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'.`,
    );
  }
  const stateParam = q.get('state') ?? undefined;
  const fail = (error: string, description: string) =>
    redirect(withQuery(redirectUri, { error, error_description: description, state: stateParam }));
  const injected = state.injections.take('microsoft', {
    endpoint: 'authorize',
    clientIds: [clientId],
    user: q.get('login_hint') ?? undefined,
  });
  if (injected.reply) {
    const body = injected.reply.body as { error: string; error_description: string; error_codes?: number[] };
    state.events.record({
      kind: 'injected-error',
      flavour: 'microsoft',
      clientId,
      error: body.error,
      errorCode: body.error_codes?.[0],
      detail: 'authorize',
    });
    return fail(body.error, body.error_description);
  }
  if (q.get('response_type') !== 'code')
    return fail(
      'unsupported_response_type',
      "AADSTS70005: The provided value for the input parameter 'response_type' is not allowed for this request. Expected value: code.",
    );
  const challenge = q.get('code_challenge') ?? undefined;
  if (challenge && q.get('code_challenge_method') !== 'S256') {
    return fail(
      'invalid_request',
      'AADSTS9002313: Invalid request. The code_challenge_method must be S256; plain PKCE is refused by this emulator.',
    );
  }
  const scopes = parseScopes(q.get('scope'));
  if ('error' in scopes) return fail('invalid_scope', `AADSTS70011: ${AADSTS[70011]?.text} ${scopes.detail}`);
  const granted = grantedDelegated(app, scopes);
  if ('error' in granted)
    return fail('consent_required', `AADSTS65001: ${AADSTS[65001]?.text} ${granted.detail}`);
  const pending = {
    id: newId(),
    flavour: 'microsoft' as const,
    clientId,
    clientName: app.displayName,
    tenant,
    redirectUri,
    scopes: (q.get('scope') ?? '').split(/\s+/).filter(Boolean),
    state: stateParam,
    nonce: q.get('nonce') ?? undefined,
    codeChallenge: challenge,
    loginHint: q.get('login_hint') ?? undefined,
    offline: true,
    granular: false,
  };
  state.pending.set(pending.id, pending);
  const auto = state.autoApprovedUser(pending.loginHint);
  if (auto) return approve(state, pending, auto, pending.scopes);
  if (q.get('prompt') === 'none')
    return fail('login_required', 'AADSTS50058: A silent sign-in request was sent but no user is signed in.');
  return renderConsentPage(state, pending);
}

function deviceCode(state: IdentityState, form: URLSearchParams, tenant: string, origin: string): HttpReply {
  const clientId = form.get('client_id') ?? '';
  const injected = takeInjection(state, 'devicecode', clientId);
  if (injected) return injected;
  const app = state.findMicrosoftApp(clientId);
  if (!app) return microsoftError(700016, `Application identifier: '${clientId}'.`);
  const scopes = parseScopes(form.get('scope'));
  if ('error' in scopes) return microsoftError(70011, scopes.detail);
  const granted = grantedDelegated(app, scopes);
  if ('error' in granted) return microsoftError(65001, granted.detail);
  const userCode = Array.from(
    { length: 9 },
    () => 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'[Math.floor(Math.random() * 32)],
  ).join('');
  const deviceCodeValue = state.randomToken('DAQABAAEAAA', 48);
  const lifetime = state.config.lifetimes.deviceCode;
  state.deviceCodes.set(deviceCodeValue, {
    deviceCode: deviceCodeValue,
    userCode,
    clientId,
    tenant,
    scopes: (form.get('scope') ?? '').split(/\s+/).filter(Boolean),
    expiresAt: state.now() + lifetime,
    status: 'pending',
  });
  const verificationUri = `${origin}/devicelogin`;
  return json(200, {
    user_code: userCode,
    device_code: deviceCodeValue,
    verification_uri: verificationUri,
    expires_in: lifetime,
    interval: state.config.deviceCodeInterval,
    message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate.`,
  });
}

function takeInjection(
  state: IdentityState,
  endpoint: string,
  clientId: string,
  user?: string,
  grant?: string,
): HttpReply | undefined {
  const injected = state.injections.take('microsoft', { endpoint, clientIds: [clientId], user, grant });
  if (!injected.reply) return undefined;
  const body = injected.reply.body as { error?: string; error_codes?: number[] };
  state.events.record({
    kind: 'injected-error',
    flavour: 'microsoft',
    grant,
    clientId,
    user,
    error: body.error,
    errorCode: body.error_codes?.[0],
    detail: injected.label,
  });
  return injected.reply;
}

const DEVICE_GRANTS = new Set(['device_code', 'urn:ietf:params:oauth:grant-type:device_code']);

function token(
  state: IdentityState,
  form: URLSearchParams,
  tenant: string,
  origin: string,
  tenantRaw: string,
): HttpReply {
  const grant = form.get('grant_type') ?? '';
  const clientId = form.get('client_id') ?? '';
  const user =
    grant === 'authorization_code'
      ? state.codes.get(form.get('code') ?? '')?.user
      : grant === 'refresh_token'
        ? state.refreshTokens.get(form.get('refresh_token') ?? '')?.user
        : DEVICE_GRANTS.has(grant)
          ? state.deviceCodes.get(form.get('device_code') ?? '')?.user
          : undefined;
  const injected = takeInjection(state, 'token', clientId, user?.email, grant);
  if (injected) return injected;

  const refuse = (code: number, detail?: string): HttpReply => {
    const reply = microsoftError(code, detail);
    const body = reply.body as { error: string };
    if (code !== 70016)
      state.events.record({
        kind: 'grant-refused',
        flavour: 'microsoft',
        grant,
        clientId,
        user: user?.email,
        error: body.error,
        errorCode: code,
      });
    return reply;
  };
  if (!grant) return refuse(900144, "Parameter: 'grant_type'.");
  const app = state.findMicrosoftApp(clientId);
  if (!app)
    return refuse(
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenantRaw}'.`,
    );
  const tokenUrls = [`${origin}/${tenantRaw}/oauth2/v2.0/token`, `${origin}/${tenant}/oauth2/v2.0/token`];
  const clientAuth = (): HttpReply | undefined => {
    if (app.public) return undefined;
    const result = authenticateClient(state, app, form, tokenUrls);
    return result.ok ? undefined : refuse(result.aadsts, result.detail);
  };
  const ctx: MintContext = { state, issuerBase: origin, app };
  const ok = (body: Record<string, unknown>, who?: string, scopes?: readonly string[]): HttpReply => {
    state.events.record({ kind: 'grant', flavour: 'microsoft', grant, clientId, user: who, scopes });
    return json(200, body);
  };

  if (grant === 'authorization_code') {
    const code = form.get('code') ?? '';
    const rec = state.codes.get(code);
    if (rec?.flavour !== 'microsoft' || rec.clientId !== clientId)
      return refuse(70000, 'The authorization code is unknown or was issued to another client.');
    const denied = clientAuth();
    if (denied) return denied;
    if (rec.redeemed) return refuse(54005);
    if (rec.expiresAt <= state.now()) return refuse(70008);
    if ((form.get('redirect_uri') ?? '') !== rec.redirectUri) {
      return refuse(
        50011,
        `The redirect URI '${form.get('redirect_uri') ?? ''}' does not match the one used to request the code.`,
      );
    }
    if (rec.codeChallenge) {
      const verifier = form.get('code_verifier');
      if (!verifier)
        return refuse(
          501481,
          'The code_verifier is missing; send the PKCE verifier that matches the code_challenge.',
        );
      if (createHash('sha256').update(verifier).digest('base64url') !== rec.codeChallenge)
        return refuse(501481);
    }
    const scopes = parseScopes(rec.scopes.join(' ')) as ParsedScopes;
    const granted = grantedDelegated(app, scopes);
    if ('error' in granted) return refuse(65001, granted.detail);
    rec.redeemed = true;
    return ok(mintDelegated(ctx, rec.user, rec.tenant, scopes, granted, rec.nonce), rec.user.email, granted);
  }

  if (grant === 'refresh_token') {
    const rec = state.refreshTokens.get(form.get('refresh_token') ?? '');
    if (rec?.flavour !== 'microsoft' || rec.clientId !== clientId)
      return refuse(9002313, 'The refresh token is malformed or was issued to another client.');
    const denied = clientAuth();
    if (denied) return denied;
    if (rec.invalid === 'expired' || rec.expiresAt <= state.now()) return refuse(700082);
    if (rec.invalid)
      return refuse(70000, 'The refresh token was already redeemed (tokens rotate on every use) or revoked.');
    const requested = parseScopes(form.get('scope') ?? rec.scopes.join(' '));
    if ('error' in requested) return refuse(28000, requested.detail);
    const scopes: ParsedScopes = { ...requested, oidc: [...new Set([...requested.oidc, 'offline_access'])] };
    const granted = grantedDelegated(app, scopes);
    if ('error' in granted) return refuse(65001, granted.detail);
    rec.invalid = 'rotated';
    return ok(mintDelegated(ctx, rec.user, rec.tenant, scopes, granted), rec.user.email, granted);
  }

  if (grant === 'client_credentials') {
    if (['common', 'organizations', 'consumers'].includes(tenant)) {
      return refuse(50059, `Client credentials need a tenant id in the authority, not '${tenant}'.`);
    }
    if (app.tenantId !== tenant)
      return refuse(
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`,
      );
    if (app.public) return refuse(7000218);
    const denied = clientAuth();
    if (denied) return denied;
    const scopes = parseScopes(form.get('scope'));
    if ('error' in scopes) return refuse(28000, scopes.detail);
    if (scopes.permissions.length !== 1 || scopes.permissions[0] !== '.default' || scopes.oidc.length > 0) {
      return refuse(
        70011,
        'The scope for the client credentials flow must be a single resource/.default scope.',
      );
    }
    const roles = app.applicationPermissions.filter((p) => permissionBelongsTo(p, scopes.resource));
    return ok(mintAppOnly(ctx, tenant, scopes.resource), undefined, roles);
  }

  if (DEVICE_GRANTS.has(grant)) {
    const rec = state.deviceCodes.get(form.get('device_code') ?? '');
    if (!rec || rec.clientId !== clientId) return refuse(70000, 'The device code is unknown.');
    const denied = clientAuth();
    if (denied) return denied;
    if (rec.status === 'redeemed') return refuse(70000, 'The device code was already redeemed.');
    if (rec.expiresAt <= state.now()) return refuse(70019);
    if (rec.status === 'pending') return refuse(70016);
    if (rec.status === 'denied' || !rec.user) {
      const reply = refuse(65004);
      return { ...reply, body: { ...(reply.body as object), error: 'authorization_declined' } };
    }
    const scopes = parseScopes(rec.scopes.join(' ')) as ParsedScopes;
    const granted = grantedDelegated(app, scopes);
    if ('error' in granted) return refuse(65001, granted.detail);
    rec.status = 'redeemed';
    return ok(mintDelegated(ctx, rec.user, rec.tenant, scopes, granted), rec.user.email, granted);
  }

  return json(400, {
    ...(microsoftError(70000).body as object),
    error: 'unsupported_grant_type',
    error_description: `AADSTS70003: The app requested an unsupported grant type '${grant}'.`,
    error_codes: [70003],
  });
}
