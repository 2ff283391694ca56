import { describe, expect, it } from 'vitest';
import { validateSettings } from '../accounts/settings-validation.js';
import type { SettingsSchema } from '../spec/v1/settings.js';
import { createProviderSettings } from './provider-settings.js';

const schema: SettingsSchema = {
  fields: [
    { key: 'clientId', label: 'Client ID', type: 'string', required: true },
    { key: 'clientSecret', label: 'Client secret', type: 'secret' },
    { key: 'certificateKey', label: 'Certificate key', type: 'secret' },
    { key: 'mailbox', label: 'Mailbox', type: 'email', required: true },
    { key: 'cloud', label: 'Cloud', type: 'string', default: 'global' },
  ],
  rules: [
    {
      kind: 'exactlyOne',
      keys: ['clientSecret', 'certificateKey'],
      message: 'Use either a client secret or a certificate.',
    },
  ],
};
const host = { clientId: 'host-app', clientSecret: { secretRef: 'host-secret' } };

describe('createProviderSettings', () => {
  it('without host settings uses the schema as is and reads validated values with defaults', () => {
    const settings = createProviderSettings({ schema });
    expect(settings.settingsSchema).toBe(schema);
    const values = settings.read({
      accountId: 'a',
      settings: { clientId: 'own', clientSecret: { secretRef: 's' }, mailbox: 'ann@example.test' },
    });
    expect(values.requiredText('clientId')).toBe('own');
    expect(values.text('cloud')).toBe('global');
    expect(values.requiredSecret('clientSecret')).toEqual({ secretRef: 's' });
    expect(values.secret('certificateKey')).toBeUndefined();
    expect(values.flag('mailbox')).toBe(false);
  });

  it('lets accounts leave host-given fields out; the account value wins', () => {
    const settings = createProviderSettings({ schema, hostSettings: host });
    const relaxed = settings.settingsSchema.fields.find((f) => f.key === 'clientId');
    expect(relaxed).toMatchObject({ required: false, default: 'host-app' });
    expect(settings.settingsSchema.rules).toEqual([]);
    expect(validateSettings(settings.settingsSchema, { mailbox: 'ann@example.test' })).toEqual([]);

    const shared = settings.read({ accountId: 'a', settings: { mailbox: 'ann@example.test' } });
    expect(shared.requiredText('clientId')).toBe('host-app');
    expect(shared.secret('clientSecret')).toEqual({ secretRef: 'host-secret' });
    const own = settings.read({ accountId: 'b', settings: { mailbox: 'bo@example.test', clientId: 'own' } });
    expect(own.requiredText('clientId')).toBe('own');
  });

  it("replaces the host's alternative when the account picks another one of a rule's group", () => {
    const settings = createProviderSettings({ schema, hostSettings: host });
    const values = settings.read({
      accountId: 'a',
      settings: { mailbox: 'ann@example.test', certificateKey: { secretRef: 'cert' } },
    });
    expect(values.secret('clientSecret')).toBeUndefined();
    expect(values.secret('certificateKey')).toEqual({ secretRef: 'cert' });
  });

  it('refuses merged settings that fail the schema or the cross-field checks, naming the first problem', () => {
    const settings = createProviderSettings({
      schema,
      hostSettings: host,
      validate: (s) =>
        s.clientId === 'host-app' && s.cloud === 'china'
          ? [
              {
                path: 'cloud',
                message: 'The host app is not in China.',
                fix: 'Use your own app registration.',
              },
            ]
          : [],
    });
    expect(() => settings.read({ accountId: 'a', settings: {} })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', action: 'admin', hint: 'Enter the mailbox.' }),
    );
    const error = (() => {
      try {
        settings.read({ accountId: 'a', settings: { mailbox: 'ann@example.test', cloud: 'china' } });
      } catch (e) {
        return e as { message: string; hint: string; details: { issues: unknown[] } };
      }
      throw new Error('expected CONFIG_INVALID');
    })();
    expect(error.message).toContain('cloud: The host app is not in China.');
    expect(error.hint).toBe('Use your own app registration.');
    expect(error.details.issues).toHaveLength(1);
    expect(settings.validateSettings({ cloud: 'china' })).toHaveLength(1);
    expect(settings.validateSettings({ cloud: 'china', clientId: 'own' })).toEqual([]);
  });

  it('refuses host settings the schema does not know, as a developer error', () => {
    expect(() => createProviderSettings({ schema, hostSettings: { tenantId: 'x' } })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', action: 'developer' }),
    );
  });
});
