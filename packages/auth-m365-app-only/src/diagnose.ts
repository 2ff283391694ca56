/**
 * Names the missing Exchange step behind bare SMTP failures of app-only sending. A token can be
 * perfectly valid while Exchange still refuses it (535 5.7.3) because the app has no service
 * principal in Exchange or no permission on the mailbox; or SMTP AUTH is switched off (5.7.139).
 */
import { isMailplugError, type MailplugError, mailplugError } from '@mailplug/core';
import type { M365AppOnlySettings } from './settings.js';

export const M365AppOnlyDiagnosisCode = {
  ExchangePermissionMissing: 'M365_EXCHANGE_PERMISSION_MISSING',
  SmtpAuthDisabled: 'M365_SMTP_AUTH_DISABLED',
  SendAsMissing: 'M365_SEND_AS_MISSING',
} as const;

interface SmtpFacts {
  readonly replyCode?: number;
  readonly enhanced?: string;
  readonly text: string;
}

/** Reads the SMTP reply code and enhanced status from a protocol error, whatever its exact shape. */
function smtpFacts(error: unknown): SmtpFacts {
  const parts: string[] = [];
  let replyCode: number | undefined;
  let enhanced: string | undefined;
  const visit = (value: unknown, depth: number) => {
    if (!value || typeof value !== 'object' || depth > 3) return;
    const v = value as Record<string, unknown>;
    for (const k of ['message', 'response', 'hint']) if (typeof v[k] === 'string') parts.push(v[k] as string);
    for (const k of ['responseCode', 'replyCode', 'smtpCode']) {
      if (replyCode === undefined && typeof v[k] === 'number') replyCode = v[k] as number;
    }
    for (const k of ['enhancedStatus', 'enhancedCode', 'status']) {
      if (enhanced === undefined && typeof v[k] === 'string' && /^\d\.\d{1,3}\.\d{1,3}$/.test(v[k] as string))
        enhanced = v[k] as string;
    }
    if (v.details) visit(v.details, depth + 1);
    if (v.cause) visit(v.cause, depth + 1);
  };
  visit(error, 0);
  const text = parts.join(' ');
  if (!enhanced) enhanced = /\b5\.7\.\d{1,3}\b/.exec(text)?.[0];
  if (replyCode === undefined) {
    const m = /\b(5\d\d)[ -]/.exec(text);
    if (m?.[1]) replyCode = Number(m[1]);
  }
  return { text, ...(replyCode !== undefined ? { replyCode } : {}), ...(enhanced ? { enhanced } : {}) };
}

/** The PowerShell an Exchange admin runs so the app may send as the mailbox. */
export function exchangePermissionScript(
  settings: Pick<M365AppOnlySettings, 'tenant' | 'clientId' | 'mailbox' | 'servicePrincipalObjectId'>,
): string[] {
  const objectId = settings.servicePrincipalObjectId ?? '<Enterprise application Object ID>';
  return [
    'Install-Module -Name ExchangeOnlineManagement',
    `Connect-ExchangeOnline -Organization ${settings.tenant}`,
    `New-ServicePrincipal -AppId ${settings.clientId} -ObjectId ${objectId}`,
    `Add-MailboxPermission -Identity "${settings.mailbox}" -User ${objectId} -AccessRights FullAccess`,
    `Add-RecipientPermission -Identity "${settings.mailbox}" -Trustee ${objectId} -AccessRights SendAs -Confirm:$false`,
    'Disconnect-ExchangeOnline',
  ];
}

/** The PowerShell that lets the app's service principal send as a From address. */
export function sendAsScript(
  settings: Pick<M365AppOnlySettings, 'tenant' | 'servicePrincipalObjectId'>,
  fromAddress: string,
): string[] {
  const objectId = settings.servicePrincipalObjectId ?? '<Enterprise application Object ID>';
  return [
    `Connect-ExchangeOnline -Organization ${settings.tenant}`,
    `Add-RecipientPermission -Identity "${fromAddress}" -Trustee ${objectId} -AccessRights SendAs -Confirm:$false`,
  ];
}

export function smtpAuthEnableScript(mailbox: string): string[] {
  return [`Set-CASMailbox -Identity "${mailbox}" -SmtpClientAuthenticationDisabled $false`];
}

/**
 * Turns an SMTP authentication failure of an app-only account into an error that names the missing
 * admin step, with the exact PowerShell for this app and mailbox. Returns undefined when the error is
 * not one it recognizes (callers keep the original).
 *
 * @example
 * try { await connection.send(msg) } catch (e) { throw explainSmtpFailure(e, settings) ?? e }
 */
export function explainSmtpFailure(error: unknown, settings: M365AppOnlySettings): MailplugError | undefined {
  const facts = smtpFacts(error);
  // @mailplug/protocol-smtp's classifier codes for the same two replies.
  const code = (error as { code?: unknown } | undefined)?.code;
  const cause = isMailplugError(error) || error instanceof Error ? error : undefined;
  if (
    code === 'SMTP_AUTH_DISABLED' ||
    facts.enhanced === '5.7.139' ||
    /SmtpClientAuthentication is disabled/i.test(facts.text)
  ) {
    const script = smtpAuthEnableScript(settings.mailbox);
    return mailplugError(
      M365AppOnlyDiagnosisCode.SmtpAuthDisabled,
      'admin',
      `Exchange Online refused SMTP AUTH for ${settings.mailbox}: Authenticated SMTP is disabled for the tenant or the mailbox (535 5.7.139).`,
      `Enable Authenticated SMTP: Microsoft 365 admin center → Users → Active users → ${settings.mailbox} → Mail → Manage email apps → tick "Authenticated SMTP", or run \`${script[0]}\` (and check the tenant-wide setting). Or keep sending while it is off: give the account the fallback route Microsoft Graph (sendMail); the app then needs Graph's Mail.Send application permission.`,
      {
        cause,
        // SMTP is switched off, not broken: the mailer may deliver over the account's fallback route.
        details: { smtpStatus: '5.7.139', mailbox: settings.mailbox, powershell: script, routeClosed: true },
      },
    );
  }
  if (
    code === 'SMTP_SEND_AS_DENIED' ||
    facts.enhanced === '5.7.60' ||
    /SendAsDenied|not allowed to send as/i.test(facts.text)
  ) {
    // Exchange's reply does not name the address; the host knows which From it used.
    const from = '<From address>';
    const script = sendAsScript(settings, from);
    return mailplugError(
      M365AppOnlyDiagnosisCode.SendAsMissing,
      'admin',
      `Exchange Online refused to let the app send as the message's From address: its service principal has no Send As permission on it (${facts.enhanced ?? 'SendAsDenied'}).`,
      `Give the app Send As on the From address in Exchange Online PowerShell: \`${script[1]}\` (the Object ID is the Enterprise application's), or send from ${settings.mailbox} itself.`,
      { cause, details: { smtpStatus: facts.enhanced ?? '5.2.0', powershell: script } },
    );
  }
  if (
    code === 'SMTP_AUTH_NOT_PERMITTED' ||
    facts.enhanced === '5.7.3' ||
    (facts.replyCode === 535 && /Authentication unsuccessful/i.test(facts.text))
  ) {
    const script = exchangePermissionScript(settings);
    return mailplugError(
      M365AppOnlyDiagnosisCode.ExchangePermissionMissing,
      'admin',
      `Microsoft issued a token, but Exchange Online refused it for ${settings.mailbox} (535 5.7.3): the app has no service principal or mailbox permission in Exchange.`,
      `Register the app in Exchange and give it the mailbox: ${script.slice(1, 4).join('; ')} — the Object ID is the Enterprise application's, not the app registration's.`,
      {
        cause,
        details: {
          smtpStatus: '5.7.3',
          mailbox: settings.mailbox,
          clientId: settings.clientId,
          powershell: script,
        },
      },
    );
  }
  return undefined;
}
