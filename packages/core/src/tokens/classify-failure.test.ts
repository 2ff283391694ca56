import { describe, expect, it } from 'vitest';
import { mailplugError } from '../errors/codes.js';
import { classifyFailure } from './classify-failure.js';

const cases: Array<[string, unknown, string, string]> = [
  ['HTTP 429', { status: 429 }, 'TRANSIENT', 'retry'],
  ['HTTP 503 (statusCode)', { statusCode: 503 }, 'TRANSIENT', 'retry'],
  ['gaxios 500', { response: { status: 500, data: {} } }, 'TRANSIENT', 'retry'],
  ['ECONNRESET', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'TRANSIENT', 'retry'],
  ['ETIMEDOUT', Object.assign(new Error('connect'), { code: 'ETIMEDOUT' }), 'TRANSIENT', 'retry'],
  ['EAI_AGAIN', Object.assign(new Error('dns'), { code: 'EAI_AGAIN' }), 'TRANSIENT', 'retry'],
  [
    'fetch failed wrapping undici',
    new TypeError('fetch failed', {
      cause: Object.assign(new Error('x'), { code: 'UND_ERR_CONNECT_TIMEOUT' }),
    }),
    'TRANSIENT',
    'retry',
  ],
  ['AbortError', Object.assign(new Error('aborted'), { name: 'AbortError' }), 'TRANSIENT', 'retry'],
  ['TimeoutError', new DOMException('timed out', 'TimeoutError'), 'TRANSIENT', 'retry'],
  ['temporarily_unavailable', { error: 'temporarily_unavailable' }, 'TRANSIENT', 'retry'],
  ['invalid_grant body', { status: 400, error: 'invalid_grant' }, 'REAUTH_REQUIRED', 'user'],
  [
    'msal ServerError',
    Object.assign(new Error('AADSTS70043: expired'), { errorCode: 'invalid_grant' }),
    'REAUTH_REQUIRED',
    'user',
  ],
  [
    'gaxios invalid_grant',
    { response: { status: 400, data: { error: 'invalid_grant' } } },
    'REAUTH_REQUIRED',
    'user',
  ],
  ['interaction_required', { error: 'interaction_required' }, 'REAUTH_REQUIRED', 'user'],
  ['invalid_client', { status: 401, error: 'invalid_client' }, 'CONFIG_INVALID', 'admin'],
  [
    'unauthorized_client in text',
    new Error('unauthorized_client: Client is unauthorized'),
    'CONFIG_INVALID',
    'admin',
  ],
  [
    'ENOTFOUND (DNS down or name wrong: retried, never blamed on credentials)',
    Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' }),
    'TRANSIENT',
    'retry',
  ],
  [
    'TLS',
    Object.assign(new Error('self signed'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
    'CONFIG_INVALID',
    'admin',
  ],
  ['HTTP 403', { status: 403 }, 'CONFIG_INVALID', 'admin'],
  ['invalid_scope', { error: 'invalid_scope' }, 'CONFIG_INVALID', 'developer'],
  ['access_denied', { error: 'access_denied' }, 'SIGN_IN_DENIED', 'user'],
  [
    'tenant not found (AADSTS90002, invalid_request)',
    {
      status: 400,
      error: 'invalid_request',
      error_description: "AADSTS90002: Tenant 'contoso.example' not found.",
    },
    'CONFIG_INVALID',
    'admin',
  ],
  [
    'Conditional Access block (AADSTS53003, interaction_required)',
    {
      error: 'interaction_required',
      error_description: 'AADSTS53003: Access has been blocked by Conditional Access policies.',
    },
    'ACCESS_BLOCKED_BY_POLICY',
    'admin',
  ],
  [
    'client assertion time (AADSTS700024)',
    {
      error: 'invalid_client',
      error_description: 'AADSTS700024: Client assertion is not within its valid time range.',
    },
    'CLOCK_SKEW',
    'admin',
  ],
  [
    'consent missing during refresh (AADSTS65001)',
    {
      error: 'invalid_grant',
      error_description: 'AADSTS65001: The user or administrator has not consented to use the application.',
    },
    'REAUTH_REQUIRED',
    'user',
  ],
  ['HTTP 503 with a text/plain body', { status: 503, data: 'Service Unavailable' }, 'TRANSIENT', 'retry'],
  [
    'HTTP 502 with an HTML body',
    { status: 502, data: '<html><body>Bad gateway</body></html>' },
    'TRANSIENT',
    'retry',
  ],
  ['unknown', new Error('boom'), 'TOKEN_REFRESH_FAILED', 'developer'],
  ['a string', 'weird', 'TOKEN_REFRESH_FAILED', 'developer'],
];

describe('classifyFailure', () => {
  it.each(cases)('%s → %s (%s)', (_name, input, code, action) => {
    const error = classifyFailure(input);
    expect(error.code).toBe(code);
    expect(error.action).toBe(action);
    expect(error.hint.length).toBeGreaterThan(10);
  });

  it('names the concrete fix for signals the OAuth error value alone would send to the wrong person', () => {
    const clock = classifyFailure({
      error: 'invalid_client',
      error_description: 'AADSTS700024: Client assertion is not within its valid time range.',
    });
    expect(clock.hint).toMatch(/clock/);
    expect(clock.hint).not.toMatch(/secret\b(?! or certificate is not)/);
    const policy = classifyFailure({
      error: 'interaction_required',
      error_description: 'AADSTS53003: Access has been blocked by Conditional Access policies.',
    });
    expect(policy.hint).toMatch(/Conditional Access/);
    expect(policy.hint).not.toMatch(/^Sign in/);
  });

  it('returns a MailplugError unchanged', () => {
    const original = mailplugError('X', 'admin', 'm', 'h');
    expect(classifyFailure(original)).toBe(original);
  });

  it('reads Retry-After in seconds from plain and Headers objects, and retryAfterMs directly', () => {
    expect(classifyFailure({ status: 429, headers: { 'retry-after': '7' } }).retryAfterMs).toBe(7000);
    const headers = new Headers({ 'Retry-After': '2' });
    expect(classifyFailure({ response: { status: 503, headers } }).retryAfterMs).toBe(2000);
    expect(classifyFailure({ status: 429, retryAfterMs: 1234 }).retryAfterMs).toBe(1234);
  });

  it('keeps structured facts (status, OAuth error, AADSTS) in details', () => {
    const error = classifyFailure(
      Object.assign(new Error('AADSTS700082: expired'), { errorCode: 'invalid_grant' }),
    );
    expect(error.details).toMatchObject({ oauthError: 'invalid_grant', aadsts: '700082' });
  });
});
