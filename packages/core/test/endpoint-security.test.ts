import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../src/accounts/account.js';
import { validateSettings } from '../src/accounts/settings-validation.js';
import type { SettingsSchema } from '../src/spec/v1/settings.js';

// Security review point 1: identity, token and API URLs must never carry secrets in clear text.
const schema: SettingsSchema = {
  fields: [
    { key: 'tokenUrl', label: 'Token URL', type: 'url' },
    { key: 'authorityHost', label: 'Authority host', type: 'url' },
  ],
};

describe('URL settings', () => {
  it.each([
    'http://idp.example.com:8080/token',
    'http://10.0.0.5/token',
    'http://login.microsoftonline.com/',
    'http://evil.localhost/token',
    'ftp://idp.example.com/token',
  ])('refuses %s at configuration time, naming the field', (tokenUrl) => {
    const issues = validateSettings(schema, { tokenUrl });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('tokenUrl');
    expect(issues[0]?.message).toMatch(/must use https/);
    expect(issues[0]?.fix).toMatch(/https:\/\//);
  });

  it.each([
    'https://idp.example.com/token',
    'http://127.0.0.1:8080/token',
    'http://127.4.5.6/token',
    'http://[::1]:9000/token',
    'http://localhost:3000/token',
  ])('accepts %s', (tokenUrl) => {
    expect(validateSettings(schema, { tokenUrl })).toEqual([]);
  });
});

describe('isLoopbackHost', () => {
  it('means loopback literals, not any *.localhost name that DNS might resolve elsewhere', () => {
    expect(
      ['127.0.0.1', '127.255.0.1', '::1', '[::1]', 'localhost', 'LOCALHOST'].map(isLoopbackHost),
    ).toEqual(Array(6).fill(true));
    expect(
      ['mail.localhost', 'evil.localhost', '128.0.0.1', '127.0.0.256', 'localhost.example.com'].map(
        isLoopbackHost,
      ),
    ).toEqual(Array(5).fill(false));
  });
});

describe('text settings', () => {
  const pem = { fields: [{ key: 'certificate', label: 'Certificate', type: 'string' as const }] };
  it('accepts a pasted multi-line PEM that ends with a newline, refuses a single line with stray spaces', () => {
    expect(
      validateSettings(pem, {
        certificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      }),
    ).toEqual([]);
    expect(validateSettings(pem, { certificate: ' secret-value ' })[0]?.message).toMatch(
      /leading or trailing spaces/,
    );
  });
});

describe('account export', () => {
  it('drops a secret-named value at any depth, keeping only references', async () => {
    const { exportAccount } = await import('../src/accounts/export-account.js');
    const account = {
      id: 'a',
      protocol: 'smtp',
      server: { host: 'smtp.example.com', port: 587, security: 'starttls' as const },
      auth: { provider: 'basic', settings: { extra: { password: 'plain-value-123', other: 'kept' } } },
      scope: { kind: 'system' as const },
      meta: { refresh_token: 'rt-value-456', clientSecret: { secretRef: 'kept-ref' } },
    };
    const out = exportAccount(account as never);
    const text = JSON.stringify(out.account);
    expect(text).not.toContain('plain-value-123');
    expect(text).not.toContain('rt-value-456');
    expect(text).toContain('kept-ref');
    expect(text).toContain('"other":"kept"');
    expect(out.dropped.map((d) => d.path)).toEqual(
      expect.arrayContaining(['auth.settings.extra.password', 'meta.refresh_token']),
    );
  });
});
