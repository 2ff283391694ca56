/** Settings of the `m365-delegated` provider (the schema is in the package.json manifest): checks and parsing. */
import type { ProtocolId, SecretRef, SettingsValues, ValidationIssue } from '@mailplug/core';
import {
  isMicrosoftMailProtocol,
  type MicrosoftAppSettings,
  readMicrosoftAppSettings,
  validateMicrosoftAppSettings,
} from '@mailplug/microsoft-identity';

export interface M365DelegatedSettings extends MicrosoftAppSettings {
  readonly clientSecret?: SecretRef;
  readonly redirectUri?: string;
  readonly protocols: readonly ProtocolId[];
  readonly mailbox?: string;
  readonly allowSharedMailbox: boolean;
}

/** Cross-field checks beyond the schema. */
export function validateM365DelegatedSettings(s: Readonly<Record<string, unknown>>): ValidationIssue[] {
  const issues = validateMicrosoftAppSettings(s, { allowMultiTenant: true });
  const protocols = Array.isArray(s.protocols) ? (s.protocols as unknown[]) : [];
  for (const p of protocols) {
    if (typeof p === 'string' && p !== 'graph' && !isMicrosoftMailProtocol(p)) {
      issues.push({
        path: 'protocols',
        message: `"${p}" is not a Microsoft 365 mail protocol.`,
        fix: 'Use smtp, imap, pop3 and/or graph.',
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
  return issues;
}

/** Reads the validated, merged settings of one account. */
export function parseM365DelegatedSettings(values: SettingsValues): M365DelegatedSettings {
  const clientSecret = values.secret('clientSecret');
  const redirectUri = values.text('redirectUri');
  const mailbox = values.text('mailbox');
  return {
    ...readMicrosoftAppSettings(values),
    ...(clientSecret ? { clientSecret } : {}),
    ...(redirectUri ? { redirectUri } : {}),
    protocols: values.list('protocols') ?? ['smtp'],
    ...(mailbox ? { mailbox } : {}),
    allowSharedMailbox: values.flag('allowSharedMailbox'),
  };
}
