/** Settings of the `m365-delegated` provider: the data schema (drives admin forms) and parsing. */
import {
  isSecretRef,
  type ProtocolId,
  type SecretRef,
  type SettingsSchema,
  type ValidationIssue,
  withDefaults,
} from '@mailplug/core';
import {
  isMicrosoftMailProtocol,
  MICROSOFT_CA_FIELD,
  MICROSOFT_CLIENT_ID_FIELD,
  MICROSOFT_CLOUD_FIELD,
  type MicrosoftAppSettings,
  type MicrosoftCloudId,
  microsoftAuthorityHostField,
  microsoftTenantField,
  validateTenant,
} from '@mailplug/microsoft-identity';

export const M365_DELEGATED_PROVIDER_ID = 'm365-delegated';

export const m365DelegatedSettingsSchema: SettingsSchema = Object.freeze({
  fields: Object.freeze([
    microsoftTenantField(
      'Directory (tenant) ID, the tenant domain, or "organizations" for any work or school account',
      { default: 'organizations' },
    ),
    MICROSOFT_CLIENT_ID_FIELD,
    {
      key: 'clientSecret',
      label: 'Client secret',
      type: 'secret',
      description:
        'The secret Value (not its ID) for a Web app registration; leave empty for a public client',
    },
    {
      key: 'redirectUri',
      label: 'Redirect URI',
      type: 'url',
      description:
        'Must be registered on the app registration; leave empty to use a loopback address per sign-in',
    },
    MICROSOFT_CLOUD_FIELD,
    {
      key: 'protocols',
      label: 'Protocols',
      type: 'string[]',
      default: ['smtp'],
      description: 'Mail protocols the account uses: smtp, imap, pop3 (only their scopes are requested)',
    },
    {
      key: 'mailbox',
      label: 'Mailbox',
      type: 'email',
      description: 'The address expected to sign in (or the shared mailbox)',
    },
    {
      key: 'allowSharedMailbox',
      label: 'Shared mailbox',
      type: 'boolean',
      default: false,
      description: 'Authenticate as the mailbox address above while a delegate signs in',
    },
    microsoftAuthorityHostField(
      'https://host[:port] of a private Entra-compatible authority or the emulator',
    ),
    MICROSOFT_CA_FIELD,
  ]),
}) as SettingsSchema;

export interface M365DelegatedSettings extends MicrosoftAppSettings {
  readonly clientSecret?: SecretRef;
  readonly redirectUri?: string;
  readonly protocols: readonly ProtocolId[];
  readonly mailbox?: string;
  readonly allowSharedMailbox: boolean;
}

/** Cross-field checks beyond the schema. */
export function validateM365DelegatedSettings(
  settings: Readonly<Record<string, unknown>>,
): ValidationIssue[] {
  const s = withDefaults(m365DelegatedSettingsSchema, settings);
  const issues: ValidationIssue[] = [...validateTenant(s.tenant, { path: 'tenant', allowMultiTenant: true })];
  const protocols = Array.isArray(s.protocols) ? (s.protocols as unknown[]) : [];
  for (const p of protocols) {
    if (typeof p === 'string' && !isMicrosoftMailProtocol(p)) {
      issues.push({
        path: 'protocols',
        message: `"${p}" is not a Microsoft 365 mail protocol.`,
        fix: 'Use smtp, imap and/or pop3.',
      });
    }
  }
  if (s.allowSharedMailbox === true && !s.mailbox) {
    issues.push({
      path: 'mailbox',
      message: 'A shared mailbox needs its address.',
      fix: 'Enter the shared mailbox address the delegate sends as.',
    });
  }
  if (typeof s.authorityHost === 'string' && !s.authorityHost.startsWith('https://')) {
    issues.push({
      path: 'authorityHost',
      message: 'The authority host must use https.',
      fix: 'Enter https://host[:port].',
    });
  }
  return issues;
}

/** Settings with defaults applied, typed. Assumes schema validation already passed. */
export function parseM365DelegatedSettings(raw: Readonly<Record<string, unknown>>): M365DelegatedSettings {
  const s = withDefaults(m365DelegatedSettingsSchema, raw);
  const str = (k: string) => (typeof s[k] === 'string' && s[k] !== '' ? (s[k] as string) : undefined);
  return {
    tenant: str('tenant') ?? 'organizations',
    clientId: str('clientId') ?? '',
    ...(isSecretRef(s.clientSecret) ? { clientSecret: s.clientSecret } : {}),
    ...(str('redirectUri') ? { redirectUri: str('redirectUri') } : {}),
    cloud: (str('cloud') ?? 'global') as MicrosoftCloudId,
    protocols:
      Array.isArray(s.protocols) && s.protocols.length > 0 ? (s.protocols as ProtocolId[]) : ['smtp'],
    ...(str('mailbox') ? { mailbox: str('mailbox') } : {}),
    allowSharedMailbox: s.allowSharedMailbox === true,
    ...(str('authorityHost') ? { authorityHost: str('authorityHost') } : {}),
    ...(str('ca') ? { ca: str('ca') } : {}),
  };
}
