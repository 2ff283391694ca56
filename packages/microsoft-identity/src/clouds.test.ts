import { describe, expect, it } from 'vitest';
import {
  appOnlyDefaultScope,
  appOnlyGraphScope,
  delegatedGraphScope,
  delegatedScopesToRequest,
  getMicrosoftCloud,
  MICROSOFT_CLOUDS,
  scopesCoverProtocol,
} from './clouds.js';
import { tenantKind, validateTenant } from './tenant.js';

describe('cloud data', () => {
  it('is frozen and lists each cloud with its hosts', () => {
    expect(Object.isFrozen(MICROSOFT_CLOUDS)).toBe(true);
    expect(Object.isFrozen(MICROSOFT_CLOUDS.global.mailHosts.smtp)).toBe(true);
    expect(MICROSOFT_CLOUDS.global.mailHosts.smtp).toEqual({
      host: 'smtp.office365.com',
      port: 587,
      security: 'starttls',
    });
    expect(MICROSOFT_CLOUDS.usGovernment.authorityHost).toBe('https://login.microsoftonline.us');
    expect(MICROSOFT_CLOUDS.usGovernment.mailHosts.imap.host).toBe('outlook.office365.us');
    expect(MICROSOFT_CLOUDS.china.authorityHost).toBe('https://login.chinacloudapi.cn');
    expect(() => getMicrosoftCloud('mars')).toThrow(/Unknown Microsoft cloud/);
  });

  it('requests only the scopes of the protocols used, plus offline_access', () => {
    expect(delegatedScopesToRequest(['smtp'])).toEqual([
      'https://outlook.office.com/SMTP.Send',
      'offline_access',
    ]);
    expect(delegatedScopesToRequest(['imap', 'pop3', 'imap'], 'usGovernment')).toEqual([
      'https://outlook.office365.us/IMAP.AccessAsUser.All',
      'https://outlook.office365.us/POP.AccessAsUser.All',
      'offline_access',
    ]);
    expect(appOnlyDefaultScope()).toBe('https://outlook.office365.com/.default');
  });

  it('names the Graph resource of each cloud apart from the Exchange one', () => {
    expect(appOnlyGraphScope()).toBe('https://graph.microsoft.com/.default');
    expect(appOnlyGraphScope('usGovernment')).toBe('https://graph.microsoft.us/.default');
    expect(appOnlyGraphScope('china')).toBe('https://microsoftgraph.chinacloudapi.cn/.default');
    expect(delegatedGraphScope()).toBe('https://graph.microsoft.com/Mail.Send');
  });

  it('checks granted scopes per protocol', () => {
    expect(scopesCoverProtocol(['https://outlook.office.com/SMTP.Send'], 'smtp')).toBe(true);
    expect(scopesCoverProtocol(['https://outlook.office.com/SMTP.Send'], 'imap')).toBe(false);
  });
});

describe('tenant checks', () => {
  it('classifies tenants', () => {
    expect(tenantKind('contoso.onmicrosoft.com')).toBe('domain');
    expect(tenantKind('0d3a1b5e-6f00-4e11-9a7c-5e0a11ce0001')).toBe('guid');
    expect(tenantKind('9188040d-6c67-4c5b-b112-36a304b66dad')).toBe('consumers');
    expect(tenantKind('admin@contoso.com')).toBe('invalid');
  });
  it('refuses multi-tenant aliases for app-only with a fix', () => {
    const [issue] = validateTenant('organizations', { path: 'tenant', allowMultiTenant: false });
    expect(issue?.fix).toMatch(/Directory \(tenant\) ID/);
    expect(validateTenant('organizations', { path: 'tenant', allowMultiTenant: true })).toEqual([]);
    expect(validateTenant('consumers', { path: 'tenant', allowMultiTenant: true })[0]?.message).toMatch(
      /Personal/,
    );
    expect(validateTenant('me@x.com', { path: 'tenant', allowMultiTenant: true })[0]?.message).toMatch(
      /email/,
    );
  });
});
