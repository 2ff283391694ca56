import { createRegistry, validateSettings } from '@mailplug/core';
import { expectManifestMatches } from '@mailplug/testkit';
import { describe, expect, it } from 'vitest';
import { validateGmailOAuthSettings } from '../src/gmail-settings.js';
import {
  activate,
  createGmailOAuth,
  createGoogleServiceAccount,
  GMAIL_MAIL_SCOPE,
  GOOGLE_PROVIDER,
  gmailOAuth,
  googleServiceAccount,
} from '../src/index.js';
import { resolveEndpoints, scopesForProtocol, scopesToRequest } from '../src/provider-data.js';

describe('Google provider table', () => {
  it('is frozen all the way down', () => {
    expect(Object.isFrozen(GOOGLE_PROVIDER)).toBe(true);
    expect(Object.isFrozen(GOOGLE_PROVIDER.endpoints)).toBe(true);
    expect(Object.isFrozen(GOOGLE_PROVIDER.servers.smtp[0])).toBe(true);
    expect(() => {
      (GOOGLE_PROVIDER.endpoints as { tokenUrl: string }).tokenUrl = 'https://evil.example/token';
    }).toThrow(TypeError);
  });

  it("holds Google's endpoints and servers", () => {
    expect(GOOGLE_PROVIDER.endpoints.authUrl).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(GOOGLE_PROVIDER.endpoints.tokenUrl).toBe('https://oauth2.googleapis.com/token');
    expect(GOOGLE_PROVIDER.servers.smtp[0]).toEqual({
      host: 'smtp.gmail.com',
      port: 587,
      security: 'starttls',
    });
    expect(GOOGLE_PROVIDER.servers.imap[0]).toEqual({ host: 'imap.gmail.com', port: 993, security: 'tls' });
  });

  it('keeps protocol scopes apart from the scopes to request', () => {
    expect(scopesForProtocol('smtp')).toEqual([GMAIL_MAIL_SCOPE]);
    expect(scopesForProtocol('pop3')).toEqual([GMAIL_MAIL_SCOPE]);
    expect(scopesToRequest(['smtp', 'imap'])).toEqual([GMAIL_MAIL_SCOPE, 'openid', 'email']);
  });

  it('applies endpoint overrides without touching the table', () => {
    const e = resolveEndpoints({ tokenUrl: 'http://127.0.0.1:1/google/token', authUrl: '' });
    expect(e.tokenUrl).toBe('http://127.0.0.1:1/google/token');
    expect(e.authUrl).toBe(GOOGLE_PROVIDER.endpoints.authUrl);
    expect(GOOGLE_PROVIDER.endpoints.tokenUrl).toBe('https://oauth2.googleapis.com/token');
  });
});

describe('manifest and definitions', () => {
  it("declares both providers in package.json, accepted by core's registry without importing code", async () => {
    const registry = createRegistry();
    expect(registry.addPackage(new URL('..', import.meta.url).pathname)).toBe('@mailplug/auth-gmail-oauth');
    expect(registry.describeAuthProvider('gmail-oauth')).toBeDefined();
    expect(registry.describeAuthProvider('google-service-account')).toBeDefined();
    expect(registry.peekAuthProvider('gmail-oauth')).toBeUndefined();
    await registry.dispose();
  });

  it('uses the manifest as the one source of the settings schema and capabilities', async () => {
    const { default: pkg } = await import('../package.json');
    expectManifestMatches(pkg, gmailOAuth);
    expectManifestMatches(pkg, googleServiceAccount);
    expect(gmailOAuth.capabilities).toMatchObject({ interactive: true, appOnly: false });
    expect(googleServiceAccount.capabilities).toMatchObject({ interactive: false, appOnly: true });
  });

  it('factories allow another id and label', () => {
    expect(createGmailOAuth({ id: 'gmail-2', label: 'Second Gmail' })).toMatchObject({
      id: 'gmail-2',
      label: 'Second Gmail',
    });
    expect(createGoogleServiceAccount().id).toBe('google-service-account');
  });

  it('activate registers both providers and hands back disposables', () => {
    const registered: string[] = [];
    const subscriptions: { dispose(): void }[] = [];
    activate({
      packageName: '@mailplug/auth-gmail-oauth',
      registerAuthProvider: (d) => {
        registered.push(d.id);
        return { dispose() {} };
      },
      registerProtocol: () => ({ dispose() {} }),
      subscriptions,
    });
    expect(registered).toEqual(['gmail-oauth', 'google-service-account']);
    expect(subscriptions).toHaveLength(2);
  });
});

describe('settings validation', () => {
  const base = { clientId: '1-abc.apps.googleusercontent.com', clientSecret: { secretRef: 'google-secret' } };

  it('accepts the smallest settings', () => {
    expect(validateSettings(gmailOAuth.settingsSchema, base)).toEqual([]);
    expect(validateGmailOAuthSettings(base)).toEqual([]);
  });

  it('refuses an inline client secret', () => {
    const issues = validateSettings(gmailOAuth.settingsSchema, { ...base, clientSecret: 'GOCSPX-inline' });
    expect(issues[0]?.path).toBe('clientSecret');
  });

  it('spots an email address pasted as client id', () => {
    expect(validateGmailOAuthSettings({ ...base, clientId: 'admin@example.com' })[0]?.path).toBe('clientId');
  });

  it('refuses plain http redirect URIs except on loopback', () => {
    expect(validateGmailOAuthSettings({ ...base, redirectUri: 'http://host.example/cb' })[0]?.path).toBe(
      'redirectUri',
    );
    expect(validateGmailOAuthSettings({ ...base, redirectUri: 'http://127.0.0.1/callback' })).toEqual([]);
  });

  it('refuses a partial set of endpoint overrides', () => {
    const issues = validateGmailOAuthSettings({ ...base, tokenUrl: 'https://idp.example/token' });
    expect(issues[0]?.message).toMatch(/Only some Google endpoints/);
  });

  it('service account needs a key reference and a mailbox', () => {
    const issues = validateSettings(googleServiceAccount.settingsSchema, {
      serviceAccountKey: '{"inline": true}',
    });
    expect(issues.map((i) => i.path).sort()).toEqual(['mailbox', 'serviceAccountKey']);
  });
});
