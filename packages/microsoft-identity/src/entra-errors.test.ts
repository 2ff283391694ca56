import { InteractionRequiredAuthError, ServerError } from '@azure/msal-node';
import { describe, expect, it } from 'vitest';
import {
  classifyEntraError,
  ENTRA_ERROR_TABLE,
  MicrosoftErrorCode,
  readEntraFailure,
} from './entra-errors.js';

const server = (
  error: string,
  aadsts: number,
  extra: { status?: number; subError?: string; text?: string } = {},
) =>
  new ServerError(
    error,
    'corr-1',
    `Error(s): ${aadsts} - Description: AADSTS${aadsts}: ${extra.text ?? 'x'}`,
    extra.subError,
    String(aadsts),
    extra.status,
  );

describe('classifyEntraError', () => {
  const cases: Array<[number, string, string, string, RegExp]> = [
    [700016, 'unauthorized_client', MicrosoftErrorCode.AppNotFound, 'admin', /Application \(client\) ID/],
    [7000215, 'invalid_client', MicrosoftErrorCode.ClientSecretInvalid, 'admin', /Value.*not its Secret ID/],
    [7000222, 'invalid_client', MicrosoftErrorCode.ClientSecretExpired, 'admin', /new client secret/],
    [90002, 'invalid_request', MicrosoftErrorCode.TenantNotFound, 'admin', /tenant\) ID/],
    [65001, 'invalid_grant', MicrosoftErrorCode.ConsentRequired, 'admin', /Grant admin consent/],
    [700024, 'invalid_client', MicrosoftErrorCode.ClockSkew, 'admin', /check the server clock/i],
    [50076, 'invalid_grant', MicrosoftErrorCode.MfaRequired, 'user', /sign in interactively/],
    [50079, 'invalid_grant', MicrosoftErrorCode.MfaRequired, 'user', /multi-factor/],
    [53003, 'invalid_grant', MicrosoftErrorCode.ConditionalAccess, 'admin', /Conditional Access/],
    [50126, 'invalid_grant', MicrosoftErrorCode.WrongPassword, 'user', /password/],
    [700082, 'invalid_grant', MicrosoftErrorCode.ReauthRequired, 'user', /sign in again/],
    [70043, 'invalid_grant', MicrosoftErrorCode.ReauthRequired, 'user', /sign in again/],
    [54005, 'invalid_grant', MicrosoftErrorCode.CodeAlreadyRedeemed, 'retry', /Start the sign-in again/],
    [70011, 'invalid_scope', MicrosoftErrorCode.InvalidScope, 'developer', /Graph/],
    [50011, 'invalid_client', MicrosoftErrorCode.RedirectUriMismatch, 'admin', /redirect URI/],
    [
      65004,
      'access_denied',
      MicrosoftErrorCode.SignInDenied,
      'user',
      /accept the requested mail permissions/,
    ],
  ];
  for (const [aadsts, oauth, code, action, hint] of cases) {
    it(`maps AADSTS${aadsts} to ${code}`, () => {
      const e = classifyEntraError(server(oauth, aadsts));
      expect(e.code).toBe(code);
      expect(e.action).toBe(action);
      expect(e.hint).toMatch(hint);
      expect(e.details?.aadsts).toBe(`AADSTS${aadsts}`);
    });
  }

  it('treats what Entra ID calls a transient error (AADSTS90033) as retry, never as configuration', () => {
    const e = classifyEntraError(
      server('invalid_request', 90033, { text: 'A transient error has occurred.' }),
    );
    expect(e.code).toBe(MicrosoftErrorCode.Transient);
    expect(e.action).toBe('retry');
  });

  it('reads the AADSTS number from InteractionRequiredAuthError too', () => {
    const e = classifyEntraError(
      new InteractionRequiredAuthError(
        'invalid_grant',
        'c',
        'AADSTS700082: expired',
        'bad_token',
        '',
        '',
        '',
        '700082',
      ),
    );
    expect(e.code).toBe('REAUTH_REQUIRED');
  });

  it('keeps 429 and 5xx apart from credential failures, with Retry-After', () => {
    const throttled = classifyEntraError(
      new ServerError(
        'temporarily_unavailable',
        '',
        'x (HTTP 429, Retry-After: 7)',
        undefined,
        undefined,
        429,
      ),
    );
    expect(throttled.code).toBe('TRANSIENT');
    expect(throttled.action).toBe('retry');
    expect(throttled.retryAfterMs).toBe(7000);
    const outage = classifyEntraError(
      new ServerError('invalid_client', '', 'HTTP 503', undefined, undefined, 503),
    );
    expect(outage.code).toBe('TRANSIENT');
  });

  it("sees an outage through msal's throttle cache (no status, AADSTS numbers or nothing as the code)", () => {
    // What ThrottlingUtils.preProcess throws inside the Retry-After window: the cached error_codes
    // joined as the error code, the cached description, no errorNo and no HTTP status.
    const replayed = classifyEntraError(
      new ServerError('50196', 'c', 'AADSTS50196: loop detected. (HTTP 429, Retry-After: 5)'),
    );
    expect(replayed).toMatchObject({ code: 'TRANSIENT', action: 'retry', retryAfterMs: 5000 });
    const empty = classifyEntraError(
      new ServerError('', 'c', 'The token endpoint answered without an OAuth error (text/html). (HTTP 502)'),
    );
    expect(empty).toMatchObject({ code: 'TRANSIENT', action: 'retry', details: { httpStatus: 502 } });
    expect(classifyEntraError(new ServerError('90055', 'c', 'AADSTS90055: throttled')).action).toBe('retry');
  });

  it("sends a consent error of a user's refresh to the user, and of an app to the admin", () => {
    const consent = () => server('invalid_grant', 65001, { subError: 'consent_required' });
    expect(classifyEntraError(consent(), { flow: 'delegated' })).toMatchObject({
      code: MicrosoftErrorCode.ConsentRequired,
      action: 'user',
    });
    expect(classifyEntraError(consent(), { flow: 'delegated' }).hint).toMatch(/sign in again/);
    expect(classifyEntraError(consent(), { flow: 'appOnly' }).action).toBe('admin');
  });

  it("treats msal's token_parsing_error (a proxy's page instead of JSON) as transient", () => {
    const e = classifyEntraError({
      errorCode: 'token_parsing_error',
      errorMessage: 'Failed to parse response',
    });
    expect(e).toMatchObject({ code: 'TRANSIENT', action: 'retry' });
    expect(e.hint).toMatch(/proxy/);
  });

  it('treats network failures as transient', () => {
    const e = classifyEntraError(Object.assign(new Error('boom'), { errorCode: 'network_error' }));
    expect(e.action).toBe('retry');
  });

  it('falls back to OAuth error names and then to a generic admin error', () => {
    expect(classifyEntraError({ errorCode: 'access_denied' }).code).toBe('SIGN_IN_DENIED');
    expect(classifyEntraError({ errorCode: 'invalid_client' }).code).toBe(
      MicrosoftErrorCode.ClientAuthFailed,
    );
    const unknown = classifyEntraError(new Error('AADSTS999999: strange'));
    expect(unknown.code).toBe(MicrosoftErrorCode.SignInFailed);
    expect(unknown.details?.aadsts).toBe('AADSTS999999');
  });

  it('reads the OAuth error of msal device-code polling failures', () => {
    expect(
      readEntraFailure({
        errorCode: 'post_request_failed',
        errorMessage: 'post_request_failed: expired_token',
      }).oauthError,
    ).toBe('expired_token');
  });

  it('never leaks a secret that appears in the upstream text', () => {
    const e = classifyEntraError(
      new ServerError(
        'invalid_client',
        '',
        'client_secret=SuperSecretValue123 AADSTS7000215: x',
        undefined,
        '7000215',
      ),
    );
    expect(JSON.stringify(e.toJSON())).not.toContain('SuperSecretValue123');
  });

  it('is one frozen table whose rows all name a fix', () => {
    expect(Object.isFrozen(ENTRA_ERROR_TABLE)).toBe(true);
    for (const row of ENTRA_ERROR_TABLE) expect(row.hint.length).toBeGreaterThan(20);
    const numbers = ENTRA_ERROR_TABLE.flatMap((r) => r.aadsts ?? []);
    expect(new Set(numbers).size).toBe(numbers.length);
  });
});

describe('the README errors table', () => {
  it('lists every row of ENTRA_ERROR_TABLE with its signal, action and hint', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    for (const row of ENTRA_ERROR_TABLE) {
      const signals = [
        ...(row.aadsts ?? []).map((n) => `AADSTS${n}`),
        ...(row.oauthErrors ?? []).map((e) => `\`${e}\``),
      ];
      const line = readme.split('\n').find((l) => l.startsWith(`| ${signals.join(', ')} |`));
      expect(line, signals.join(', ')).toBeDefined();
      expect(line).toContain(`\`${row.code}\` | ${row.action}`);
      expect(line).toContain(row.hint);
      if (row.delegated) expect(line).toContain(row.delegated.hint);
    }
  });
});
