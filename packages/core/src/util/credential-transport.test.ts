import { describe, expect, it } from 'vitest';
import { isMailplugError } from '../spec/v1/mailplug-error.js';
import { assertCredentialTransport } from './credential-transport.js';

describe('assertCredentialTransport', () => {
  const ports = { tls: 993, starttls: 143 };

  it('allows TLS and STARTTLS', () => {
    expect(() => assertCredentialTransport({ host: 'h', port: 993, security: 'tls' }, ports)).not.toThrow();
    expect(() =>
      assertCredentialTransport({ host: 'h', port: 143, security: 'starttls' }, ports),
    ).not.toThrow();
  });

  it('refuses plaintext with the fix named, unless explicitly allowed', () => {
    const err = (() => {
      try {
        assertCredentialTransport({ host: 'mail.example.com', port: 143, security: 'none' }, ports);
      } catch (e) {
        return e;
      }
    })();
    expect(isMailplugError(err) && [err.code, err.action]).toEqual(['INSECURE_AUTH_REFUSED', 'admin']);
    expect(isMailplugError(err) && err.hint).toContain('"tls" (port 993)');
    expect(() =>
      assertCredentialTransport(
        { host: '127.0.0.1', port: 143, security: 'none', allowInsecureAuth: true },
        ports,
      ),
    ).not.toThrow();
  });
});
