import { createProviderSettings, validateSettings } from '@mailplug/core';
import { describe, expect, it } from 'vitest';
import { exchangePermissionScript, explainSmtpFailure } from './diagnose.js';
import { m365AppOnly } from './m365-app-only-provider.js';
import { parseM365AppOnlySettings as parseValues, validateM365AppOnlySettings } from './settings.js';

const m365AppOnlySettingsSchema = m365AppOnly.settingsSchema;
const providerSettings = createProviderSettings({
  schema: m365AppOnlySettingsSchema,
  validate: validateM365AppOnlySettings,
});
/** Settings as a session reads them: validated against the manifest schema, defaults applied. */
const parseM365AppOnlySettings = (settings: Record<string, unknown>) =>
  parseValues(providerSettings.read({ accountId: 'svc', settings }));

const TENANT = '0d3a1b5e-6f00-4e11-9a7c-5e0a11ce0001';
const CLIENT = '5a1e7c00-0000-4000-8000-00000000a003';
const base = {
  tenant: TENANT,
  clientId: CLIENT,
  mailbox: 'noreply@contoso.test',
  clientSecret: { secretRef: 's' },
};

describe('app-only settings', () => {
  it('accepts a secret or a certificate, exactly one', () => {
    expect(validateSettings(m365AppOnlySettingsSchema, base)).toEqual([]);
    const both = validateSettings(m365AppOnlySettingsSchema, {
      ...base,
      certificatePrivateKey: { secretRef: 'k' },
    });
    expect(both.map((i) => i.message)).toContain(
      'Use either a client secret or a certificate, not both and not neither.',
    );
    const none = validateSettings(m365AppOnlySettingsSchema, {
      tenant: TENANT,
      clientId: CLIENT,
      mailbox: 'a@b.co',
    });
    expect(none).toHaveLength(1);
  });

  it('refuses common / organizations / consumers with a fix', () => {
    for (const tenant of ['common', 'organizations', 'consumers']) {
      const [issue] = validateM365AppOnlySettings({ ...base, tenant });
      expect(issue?.path).toBe('tenant');
      expect(issue?.fix).toMatch(/tenant\) ID/);
    }
  });

  it('requires a thumbprint with a certificate key and checks the token URL against the tenant', () => {
    const cert = {
      tenant: TENANT,
      clientId: CLIENT,
      mailbox: 'a@b.co',
      certificatePrivateKey: { secretRef: 'k' },
    };
    expect(validateM365AppOnlySettings(cert)[0]?.path).toBe('certificateThumbprint');
    const wrong = validateM365AppOnlySettings({
      ...base,
      tokenUrl: 'https://login.microsoftonline.com/other.onmicrosoft.com/oauth2/v2.0/token',
    });
    expect(wrong[0]?.message).toMatch(/names tenant/);
    expect(
      validateM365AppOnlySettings({ ...base, scope: 'https://outlook.office.com/SMTP.SendAsApp' })[0]?.path,
    ).toBe('scope');
  });

  it('derives authority and cloud from the "Authentication token URL" hosts ask for, and defaults the scope', () => {
    const global = parseM365AppOnlySettings({
      ...base,
      tokenUrl: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
    });
    expect(global.authorityHost).toBeUndefined();
    expect(global.scope).toBe('https://outlook.office365.com/.default');
    const us = parseM365AppOnlySettings({
      ...base,
      tokenUrl: `https://login.microsoftonline.us/${TENANT}/oauth2/v2.0/token`,
    });
    expect(us.cloud).toBe('usGovernment');
    const local = parseM365AppOnlySettings({
      ...base,
      tokenUrl: `https://127.0.0.1:8443/${TENANT}/oauth2/v2.0/token`,
    });
    expect(local.authorityHost).toBe('https://127.0.0.1:8443');
    expect(parseM365AppOnlySettings({ ...base, scope: 'https://outlook.office.com/.default' }).scope).toBe(
      'https://outlook.office.com/.default',
    );
    expect(parseM365AppOnlySettings({ ...base, secretExpiresOn: '2030-01-31' }).secretExpiresAt).toBe(
      Date.parse('2030-01-31T00:00:00Z'),
    );
  });
});

describe('explainSmtpFailure', () => {
  const settings = parseM365AppOnlySettings({
    ...base,
    servicePrincipalObjectId: '11111111-2222-4333-8444-555555555555',
  });

  it("names the Exchange service principal and mailbox permission for 535 5.7.3, with this app's PowerShell", () => {
    const e = explainSmtpFailure(
      { code: 'SMTP_AUTH_NOT_PERMITTED', details: { replyCode: 535, enhancedStatus: '5.7.3' } },
      settings,
    );
    expect(e?.code).toBe('M365_EXCHANGE_PERMISSION_MISSING');
    expect(e?.action).toBe('admin');
    expect(e?.message).toMatch(/no service principal or mailbox permission/);
    expect(e?.hint).toContain(
      `New-ServicePrincipal -AppId ${CLIENT} -ObjectId 11111111-2222-4333-8444-555555555555`,
    );
    expect(e?.hint).toContain('Add-MailboxPermission -Identity "noreply@contoso.test"');
    expect(e?.details?.powershell).toEqual(exchangePermissionScript(settings));
    expect(exchangePermissionScript(settings).join('\n')).toContain(
      `Connect-ExchangeOnline -Organization ${TENANT}`,
    );
    expect(exchangePermissionScript(settings).join('\n')).toContain('Add-RecipientPermission');
  });

  it('explains 535 5.7.139 as Authenticated SMTP disabled', () => {
    const e = explainSmtpFailure(
      new Error(
        'Invalid login: 535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.',
      ),
      settings,
    );
    expect(e?.code).toBe('M365_SMTP_AUTH_DISABLED');
    expect(e?.hint).toMatch(/Manage email apps/);
    expect(e?.hint).toContain(
      'Set-CASMailbox -Identity "noreply@contoso.test" -SmtpClientAuthenticationDisabled $false',
    );
    // The second fix, for every host: the Graph fallback route.
    expect(e?.hint).toContain('fallback route Microsoft Graph (sendMail)');
    expect(e?.details?.routeClosed).toBe(true);
  });

  it('leaves other failures alone', () => {
    expect(explainSmtpFailure(new Error('550 5.1.1 unknown recipient'), settings)).toBeUndefined();
  });
});
