import { registerSecret } from '@mailplug/core';
import { describe, expect, it } from 'vitest';
import {
  classifyCallbackError,
  classifyServiceAccountError,
  classifyUserOAuthError,
  GmailErrorCode,
  scopeNotGranted,
} from '../src/errors.js';
import { parseServiceAccountKey } from '../src/service-account-key.js';

/** The shape gaxios gives a failed token request (status, parsed body, Headers). */
function httpError(status: number, data: unknown, headers: Record<string, string> = {}): Error {
  const err = new Error(
    typeof data === 'object' && data && 'error' in data
      ? String((data as { error: unknown }).error)
      : 'failed',
  );
  Object.assign(err, { status, response: { status, data, headers: new Headers(headers) } });
  return err;
}

describe('classifyUserOAuthError', () => {
  it('maps invalid_grant to REAUTH_REQUIRED for the user, mentioning the 7-day Testing limit', () => {
    const e = classifyUserOAuthError(
      httpError(400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }),
    );
    expect(e.code).toBe('REAUTH_REQUIRED');
    expect(e.action).toBe('user');
    expect(e.hint).toMatch(/Sign in with Google again/);
    expect(e.hint).toMatch(/7 days/);
    expect(e.hint).toMatch(/Testing/);
  });

  it('maps invalid_client to an admin error naming client id and secret', () => {
    const e = classifyUserOAuthError(
      httpError(401, { error: 'invalid_client', error_description: 'Unauthorized' }),
    );
    expect(e.code).toBe(GmailErrorCode.ClientInvalid);
    expect(e.action).toBe('admin');
    expect(e.hint).toMatch(/Client ID and Client secret/);
  });

  it.each([
    [429, 'rate limited'],
    [500, 'server error'],
    [503, 'unavailable'],
  ])('treats HTTP %i (%s) as transient, never as bad credentials', (status) => {
    const e = classifyUserOAuthError(
      httpError(status, { error: 'internal_failure' }, { 'retry-after': '7' }),
    );
    expect(e.code).toBe('TRANSIENT');
    expect(e.action).toBe('retry');
    expect(e.retryAfterMs).toBe(7000);
  });

  it('treats connection failures as transient', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    const e = classifyUserOAuthError(Object.assign(new TypeError('fetch failed'), { cause }));
    expect(e.code).toBe('TRANSIENT');
    expect(e.details).toMatchObject({ network: 'ECONNREFUSED' });
  });

  it('maps redirect_uri_mismatch to an admin error about registering the redirect URI', () => {
    const e = classifyUserOAuthError(httpError(400, { error: 'redirect_uri_mismatch' }));
    expect(e.code).toBe(GmailErrorCode.RedirectUriMismatch);
    expect(e.hint).toMatch(/Authorized redirect URIs/);
  });

  it('never shows a client secret or refresh token that leaks into an upstream error', () => {
    const refreshToken = '1//0gPLANTED-refresh-token-abcdef123456';
    const clientSecret = 'GOCSPX-planted-client-secret-xyz';
    registerSecret(refreshToken);
    registerSecret(clientSecret);
    const upstream = httpError(400, {
      error: 'invalid_request',
      error_description: `bad refresh_token=${refreshToken} for client_secret=${clientSecret}`,
    });
    upstream.message = `request failed: ${refreshToken} ${clientSecret}`;
    const e = classifyUserOAuthError(upstream);
    const shown = JSON.stringify(e.toJSON()) + e.message + e.hint + String(e.stack);
    expect(shown).not.toContain(refreshToken);
    expect(shown).not.toContain(clientSecret);
    expect(e.code).toBe(GmailErrorCode.SignInFailed);
  });
});

describe('classifyCallbackError', () => {
  it('maps access_denied to SIGN_IN_DENIED for the user', () => {
    const e = classifyCallbackError({ error: 'access_denied' });
    expect(e.code).toBe('SIGN_IN_DENIED');
    expect(e.action).toBe('user');
    expect(e.hint).toMatch(/Read, compose, send and permanently delete/);
  });

  it('maps admin_policy_enforced to an admin error pointing at API controls', () => {
    const e = classifyCallbackError({ error: 'admin_policy_enforced' });
    expect(e.code).toBe(GmailErrorCode.BlockedByPolicy);
    expect(e.action).toBe('admin');
    expect(e.hint).toMatch(/API controls/);
  });
});

describe('scopeNotGranted', () => {
  it('tells the user which box to tick', () => {
    const e = scopeNotGranted(['openid', 'email']);
    expect(e.code).toBe('GMAIL_SCOPE_NOT_GRANTED');
    expect(e.action).toBe('user');
    expect(e.hint).toBe(
      'Sign in again and tick "Read, compose, send and permanently delete all your email from Gmail" on Google\'s consent screen.',
    );
    expect(e.details).toMatchObject({ requiredScope: 'https://mail.google.com/' });
  });
});

describe('classifyServiceAccountError', () => {
  const ctx = {
    mailbox: 'alice@contoso.test',
    clientId: '123456789012345678901',
    clientEmail: 'mailer@p.iam.gserviceaccount.com',
  };

  it('maps unauthorized_client to GOOGLE_DWD_NOT_CONFIGURED naming the Admin console step and client id', () => {
    const e = classifyServiceAccountError(
      httpError(401, { error: 'unauthorized_client', error_description: 'Client is unauthorized' }),
      ctx,
    );
    expect(e.code).toBe('GOOGLE_DWD_NOT_CONFIGURED');
    expect(e.action).toBe('admin');
    expect(e.hint).toContain('Security → API controls → Domain-wide delegation');
    expect(e.hint).toContain(ctx.clientId);
    expect(e.hint).toContain('https://mail.google.com/');
  });

  it('maps invalid_grant to an admin error, never to "sign in again"', () => {
    const e = classifyServiceAccountError(
      httpError(400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' }),
      ctx,
    );
    expect(e.code).toBe(GmailErrorCode.ServiceAccountRejected);
    expect(e.action).toBe('admin');
    expect(e.hint).toMatch(/new JSON key/);
  });

  it('names the mailbox when Google does not know the impersonated user', () => {
    const e = classifyServiceAccountError(
      httpError(400, { error: 'invalid_grant', error_description: 'Invalid email or User ID' }),
      ctx,
    );
    expect(e.hint).toContain('alice@contoso.test');
  });

  it('keeps 503 transient', () => {
    expect(classifyServiceAccountError(httpError(503, 'Service Unavailable'), ctx).action).toBe('retry');
  });
});

describe('parseServiceAccountKey', () => {
  const pem = '-----BEGIN PRIVATE KEY-----\nMIIplantedkeymaterial\n-----END PRIVATE KEY-----\n';
  const valid = {
    type: 'service_account',
    client_email: 'mailer@p.iam.gserviceaccount.com',
    private_key: pem,
    client_id: '42',
  };

  it('reads the fields it needs', () => {
    expect(parseServiceAccountKey(JSON.stringify(valid))).toMatchObject({
      clientEmail: valid.client_email,
      clientId: '42',
    });
  });

  it.each([
    ['client_email', { ...valid, client_email: undefined }],
    ['private_key', { ...valid, private_key: 'not a pem' }],
    ['type', { ...valid, type: 'authorized_user' }],
  ])('names the bad field %s', (field, key) => {
    let caught: unknown;
    try {
      parseServiceAccountKey(JSON.stringify(key));
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({
      code: 'GOOGLE_SERVICE_ACCOUNT_KEY_INVALID',
      action: 'admin',
      details: { field },
    });
    expect((caught as Error & { hint: string }).hint).toContain(`"${field}"`);
  });

  it('does not echo the key text when the JSON is malformed', () => {
    const broken = `{"private_key": "${'SECRETKEYMATERIAL'.repeat(3)}", oops}`;
    let caught: (Error & { hint: string }) | undefined;
    try {
      parseServiceAccountKey(broken);
    } catch (e) {
      caught = e as Error & { hint: string };
    }
    expect(caught?.message).toMatch(/not valid JSON/);
    expect(JSON.stringify(caught) + String(caught?.message) + String(caught?.cause)).not.toContain(
      'SECRETKEYMATERIAL',
    );
  });
});

describe('GOOGLE_ERROR_TABLE', () => {
  it('is one frozen table whose rows all name a fix', async () => {
    const { GOOGLE_ERROR_TABLE } = await import('../src/errors.js');
    expect(Object.isFrozen(GOOGLE_ERROR_TABLE)).toBe(true);
    for (const row of GOOGLE_ERROR_TABLE) expect(row.hint.length).toBeGreaterThan(30);
  });

  it('names "publish the OAuth app" first for a Testing-mode app whose sign-in ended', () => {
    const e = classifyUserOAuthError(
      httpError(400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }),
      'Refreshing',
      { testingMode: true },
    );
    expect(e).toMatchObject({ code: 'REAUTH_REQUIRED', action: 'user' });
    expect(e.hint).toMatch(/publish the OAuth app/);
    expect(e.message).toMatch(/Testing/);
  });

  it('treats a request that hit its deadline (gaxios timeout → AbortError) as transient', () => {
    const aborted = Object.assign(new Error('The operation was aborted.'), {
      error: Object.assign(new Error('The operation was aborted.'), { name: 'AbortError', type: 'aborted' }),
    });
    const e = classifyUserOAuthError(aborted);
    expect(e).toMatchObject({ code: 'TRANSIENT', action: 'retry', details: { timedOut: true } });
  });
});

describe('the README errors table', () => {
  it('lists every row of GOOGLE_ERROR_TABLE with its signal, action and hint', async () => {
    const { readFile } = await import('node:fs/promises');
    const { GOOGLE_ERROR_TABLE } = await import('../src/errors.js');
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    for (const row of GOOGLE_ERROR_TABLE) {
      const line = readme
        .split('\n')
        .find(
          (l) =>
            l.startsWith(
              `| ${row.flows.join(', ')} | ${row.oauthErrors.map((e) => `\`${e}\``).join(', ')}`,
            ) && l.includes(row.hint),
        );
      expect(line, `${row.flows} ${row.oauthErrors}`).toBeDefined();
      expect(line).toContain(`\`${row.code}\` | ${row.action} |`);
    }
  });
});
