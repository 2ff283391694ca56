import { describe, expect, it } from 'vitest';
import { createMemorySecretStore, resolveSecret } from '../secrets/index.js';
import { isMailplugError, type MailplugError } from '../spec/v1/mailplug-error.js';
import { REDACTED, redact, registerSecret } from '../spec/v1/redact.js';
import { createRedactingLogger } from '../util/logger.js';
import { mailplugError } from './codes.js';

const PASSWORD = 'Tr0ub4dor&3-horse-battery';
const ACCESS_TOKEN = 'ya29.a0AfH6SMBx-planted-access-token-0123456789';
const REFRESH_TOKEN = '1//0gPlantedRefreshTokenValue-abcdefghijkl';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyQGV4YW1wbGUuY29tIn0.c2lnbmF0dXJlLWJ5dGVz';
const XOAUTH2 = Buffer.from(`user=a@b.example\x01auth=Bearer ${ACCESS_TOKEN}\x01\x01`).toString('base64');

function everyRendering(err: MailplugError): string {
  return [
    err.message,
    err.hint,
    String(err),
    JSON.stringify(err),
    err.stack ?? '',
    JSON.stringify(err.toJSON()),
  ].join('\n');
}

describe('redaction', () => {
  it('masks registered secrets wherever they appear in an error', () => {
    registerSecret(PASSWORD);
    const err = mailplugError(
      'X',
      'user',
      `login failed for password ${PASSWORD}`,
      `do not use ${PASSWORD}`,
      {
        cause: new Error(`server said: ${PASSWORD}`),
        details: { note: `pw=${PASSWORD}` },
      },
    );
    const text = everyRendering(err);
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain(REDACTED);
    expect(JSON.stringify(err.toJSON().cause)).not.toContain(PASSWORD);
  });

  it('masks secret-shaped values it was never told about', () => {
    const input = [
      `Authorization: Bearer ${ACCESS_TOKEN}`,
      `id_token ${JWT}`,
      `AUTH XOAUTH2 ${XOAUTH2}`,
      `refresh_token=${REFRESH_TOKEN}&client_secret=s3cr3t-value`,
      `{"password":"hunter2-long","accessToken":"${ACCESS_TOKEN}"}`,
      '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----',
    ].join('\n');
    const out = redact(input);
    for (const s of [
      ACCESS_TOKEN,
      JWT,
      XOAUTH2,
      REFRESH_TOKEN,
      's3cr3t-value',
      'hunter2-long',
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
    ]) {
      expect(out).not.toContain(s);
    }
    expect(out).toContain('Authorization: Bearer [REDACTED]');
  });

  it('redacts secret-named detail fields entirely and keeps ordinary facts', () => {
    const err = mailplugError('X', 'admin', 'failed', 'fix it', {
      details: { clientSecret: 'abc', status: '5.7.3', nested: { refreshToken: REFRESH_TOKEN } },
    });
    expect(err.details).toEqual({
      clientSecret: REDACTED,
      status: '5.7.3',
      nested: { refreshToken: REDACTED },
    });
  });

  it('keeps code, action and hint as structured values', () => {
    const err = mailplugError(
      'SMTP_AUTH_DISABLED',
      'admin',
      'SMTP AUTH is disabled.',
      'Enable Authenticated SMTP.',
    );
    expect(isMailplugError(err)).toBe(true);
    expect(err.toJSON()).toMatchObject({
      code: 'SMTP_AUTH_DISABLED',
      action: 'admin',
      hint: 'Enable Authenticated SMTP.',
    });
    expect(String(err)).toBe(
      'MailplugError [SMTP_AUTH_DISABLED]: SMTP AUTH is disabled. — Enable Authenticated SMTP.',
    );
  });

  it('never writes a secret into a log line', () => {
    registerSecret(REFRESH_TOKEN);
    const lines: string[] = [];
    const logger = createRedactingLogger({
      info: (m: string, f?: Record<string, unknown>) => lines.push(`${m} ${JSON.stringify(f ?? {})}`),
      error: (m: string, f?: Record<string, unknown>) => lines.push(`${m} ${JSON.stringify(f ?? {})}`),
    });
    logger.info(`refreshing with ${REFRESH_TOKEN}`, {
      token: ACCESS_TOKEN,
      password: PASSWORD,
      user: 'a@b.example',
    });
    logger.error('send failed', {
      error: mailplugError('X', 'retry', `Bearer ${ACCESS_TOKEN}`, 'retry').toJSON(),
    });
    const all = lines.join('\n');
    for (const s of [REFRESH_TOKEN, ACCESS_TOKEN, PASSWORD]) expect(all).not.toContain(s);
    expect(all).toContain('a@b.example');
  });

  it('resolveSecret names the missing secret but never a value', async () => {
    const store = createMemorySecretStore({ present: PASSWORD });
    await expect(resolveSecret(store, { secretRef: 'present' }, 'Password')).resolves.toBe(PASSWORD);
    const err = await resolveSecret(store, { secretRef: 'absent' }, 'Client secret').catch((e: unknown) => e);
    expect(isMailplugError(err) && err.code).toBe('SECRET_MISSING');
    expect(isMailplugError(err) && err.hint).toContain('"absent"');
  });
});
