import { describe, expect, it } from 'vitest';
import { bypassesProxy, proxyFor } from './proxy.js';

const TOKEN = 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token';

describe('proxyFor', () => {
  it('prefers the option, then HTTPS_PROXY, then HTTP_PROXY for https endpoints', () => {
    const env = { HTTPS_PROXY: 'http://secure:3128', HTTP_PROXY: 'http://plain:3128' };
    expect(proxyFor(TOKEN, { proxy: 'http://option:8080' }, env)).toBe('http://option:8080');
    expect(proxyFor(TOKEN, {}, env)).toBe('http://secure:3128');
    expect(proxyFor(TOKEN, {}, { http_proxy: 'plain:3128' })).toBe('http://plain:3128');
    expect(
      proxyFor('http://127.0.0.1:8080/token', {}, { HTTPS_PROXY: 'http://secure:3128' }),
    ).toBeUndefined();
  });

  it('goes direct with proxy: false, and for hosts NO_PROXY or noProxy exempt', () => {
    const env = { HTTPS_PROXY: 'http://p:3128', NO_PROXY: '.microsoftonline.com' };
    expect(proxyFor(TOKEN, { proxy: false }, { HTTPS_PROXY: 'http://p:3128' })).toBeUndefined();
    expect(proxyFor(TOKEN, {}, env)).toBeUndefined();
    // The option replaces the environment's list.
    expect(proxyFor(TOKEN, { noProxy: 'example.com' }, env)).toBe('http://p:3128');
  });
});

describe('bypassesProxy', () => {
  it.each([
    ['login.microsoftonline.com', 443, 'microsoftonline.com', true],
    ['login.microsoftonline.com', 443, '*.microsoftonline.com', true],
    ['notmicrosoftonline.com', 443, 'microsoftonline.com', false],
    ['10.1.2.3', 443, '10.0.0.0/8', true],
    ['11.1.2.3', 443, '10.0.0.0/8', false],
    ['idp.corp', 8443, 'idp.corp:8443', true],
    ['idp.corp', 443, 'idp.corp:8443', false],
    ['::1', 443, '[::1]', true],
    ['anything.example', 443, '*', true],
  ])('%s:%i with NO_PROXY=%s → %s', (host, port, noProxy, expected) => {
    expect(bypassesProxy(host, port, noProxy)).toBe(expected);
  });
});
