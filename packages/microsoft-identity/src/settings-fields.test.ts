import { validateSettings } from '@mailplug/core';
import { describe, expect, it } from 'vitest';
import {
  GUID_PATTERN,
  MICROSOFT_CA_FIELD,
  MICROSOFT_CLIENT_ID_FIELD,
  MICROSOFT_CLOUD_FIELD,
  microsoftAuthorityHostField,
  microsoftTenantField,
  msalConfigurationFor,
} from './settings-fields.js';

const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const TENANT = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

describe('shared Microsoft settings fields', () => {
  const schema = {
    fields: [
      microsoftTenantField('Tenant id', { default: 'organizations' }),
      MICROSOFT_CLIENT_ID_FIELD,
      MICROSOFT_CLOUD_FIELD,
      microsoftAuthorityHostField('Override'),
      MICROSOFT_CA_FIELD,
    ],
  };

  it('are frozen and carry the provider-specific description and default', () => {
    expect(Object.isFrozen(MICROSOFT_CLIENT_ID_FIELD)).toBe(true);
    expect(schema.fields[0]).toEqual({
      key: 'tenant',
      label: 'Tenant',
      type: 'string',
      required: true,
      default: 'organizations',
      description: 'Tenant id',
    });
    expect(microsoftTenantField('x')).not.toHaveProperty('default');
    expect(schema.fields.map((f) => f.key)).toEqual(['tenant', 'clientId', 'cloud', 'authorityHost', 'ca']);
    expect(new RegExp(GUID_PATTERN).test(CLIENT_ID)).toBe(true);
  });

  it('reject an email address as the client id with the hint to copy the GUID', () => {
    expect(validateSettings(schema, { tenant: TENANT, clientId: CLIENT_ID })).toEqual([]);
    const issues = validateSettings(schema, { tenant: TENANT, clientId: 'ann@contoso.com' });
    expect(issues).toHaveLength(1);
    expect(issues[0]?.fix).toMatch(/Application \(client\) ID/);
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
    expect(config.system?.networkClient).toBeUndefined();
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
