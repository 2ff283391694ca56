import { createProviderSettings, type SettingsSchema } from '@mailplug/core';
import { describe, expect, it } from 'vitest';
import {
  msalConfigurationFor,
  readMicrosoftAppSettings,
  validateMicrosoftAppSettings,
} from './microsoft-app-settings.js';

const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const TENANT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

describe('shared Microsoft settings', () => {
  const schema: SettingsSchema = {
    fields: [
      { key: 'tenant', label: 'Tenant', type: 'string', required: true },
      { key: 'clientId', label: 'Application (client) ID', type: 'string', required: true },
      { key: 'cloud', label: 'Cloud', type: 'string', default: 'global' },
      { key: 'authorityHost', label: 'Authority host override', type: 'string' },
      { key: 'ca', label: 'Extra CA certificate', type: 'string' },
    ],
  };
  const read = (settings: Record<string, unknown>) =>
    readMicrosoftAppSettings(createProviderSettings({ schema }).read({ accountId: 'a', settings }));

  it('reads tenant, client id and cloud, and omits unset overrides', () => {
    expect(read({ tenant: TENANT, clientId: CLIENT_ID })).toEqual({
      tenant: TENANT,
      clientId: CLIENT_ID,
      cloud: 'global',
    });
    expect(
      read({ tenant: TENANT, clientId: CLIENT_ID, cloud: 'china', authorityHost: 'https://127.0.0.1:8443' }),
    ).toEqual({
      tenant: TENANT,
      clientId: CLIENT_ID,
      cloud: 'china',
      authorityHost: 'https://127.0.0.1:8443',
    });
  });

  it('refuses multi-tenant aliases only where one directory is needed, and http authorities', () => {
    expect(validateMicrosoftAppSettings({ tenant: 'organizations' }, { allowMultiTenant: true })).toEqual([]);
    expect(
      validateMicrosoftAppSettings({ tenant: 'organizations' }, { allowMultiTenant: false })[0]?.path,
    ).toBe('tenant');
    const issues = validateMicrosoftAppSettings(
      { tenant: TENANT, authorityHost: 'http://127.0.0.1:8443' },
      { allowMultiTenant: true },
    );
    expect(issues.map((i) => i.path)).toEqual(['authorityHost']);
    expect(issues[0]?.fix).toContain('https://');
  });
});

describe('msalConfigurationFor', () => {
  it('uses the cloud authority and omits extras that are undefined', () => {
    const config = msalConfigurationFor(
      { clientId: CLIENT_ID, tenant: TENANT, cloud: 'usGovernment' },
      { clientSecret: undefined, onRequest: undefined, logger: undefined },
    );
    expect(config.auth).toEqual({
      clientId: CLIENT_ID,
      authority: `https://login.microsoftonline.us/${TENANT}`,
    });
    // Always Mailplug's own network client: a deadline, proxy support and normalised failures.
    expect(config.system?.networkClient).toBeDefined();
    expect(config.cache).toBeUndefined();
  });

  it('goes offline against an authority override and passes the credentials through', () => {
    const config = msalConfigurationFor(
      { clientId: CLIENT_ID, tenant: TENANT, cloud: 'global', authorityHost: 'https://127.0.0.1:8443/' },
      { clientSecret: 'not-a-real-secret' },
    );
    expect(config.auth).toMatchObject({
      authority: `https://127.0.0.1:8443/${TENANT}`,
      clientSecret: 'not-a-real-secret',
      knownAuthorities: ['127.0.0.1:8443'],
    });
    expect(JSON.parse(String(config.auth.authorityMetadata)).token_endpoint).toBe(
      `https://127.0.0.1:8443/${TENANT}/oauth2/v2.0/token`,
    );
    expect(config.system?.networkClient).toBeDefined();
  });
});
