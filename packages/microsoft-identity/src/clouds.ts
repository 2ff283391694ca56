/**
 * Provider data for the Microsoft clouds, kept apart from flow code (Thunderbird's OAuth provider
 * table): adding a cloud or a protocol is a data change. Every table is frozen.
 */
import type { ProtocolId, Security } from '@mailplug/core';

export type MicrosoftCloudId = 'global' | 'usGovernment' | 'china';

export interface MailHost {
  readonly host: string;
  readonly port: number;
  readonly security: Security;
}

export interface MicrosoftCloud {
  readonly id: MicrosoftCloudId;
  readonly label: string;
  /** Entra ID sign-in host, `https://` origin without a trailing slash. */
  readonly authorityHost: string;
  /** The Exchange Online resource delegated scopes are named under (`<resource>/SMTP.Send`). */
  readonly delegatedResource: string;
  /** The resource whose `/.default` scope an app-only token is requested for. */
  readonly appOnlyResource: string;
  /**
   * The Microsoft Graph resource of this cloud (Graph "National cloud deployments"); a Graph token
   * is requested for it alone, never together with an Exchange Online scope (AADSTS28000/70011).
   */
  readonly graphResource: string;
  /** Default mail servers per protocol in this cloud. */
  readonly mailHosts: Readonly<Record<'smtp' | 'imap' | 'pop3', MailHost>>;
}

function freezeCloud(cloud: MicrosoftCloud): MicrosoftCloud {
  Object.freeze(cloud.mailHosts.smtp);
  Object.freeze(cloud.mailHosts.imap);
  Object.freeze(cloud.mailHosts.pop3);
  Object.freeze(cloud.mailHosts);
  return Object.freeze(cloud);
}

/** The built-in clouds. GCC (moderate) tenants live in `global`; GCC High and DoD in `usGovernment`. */
export const MICROSOFT_CLOUDS: Readonly<Record<MicrosoftCloudId, MicrosoftCloud>> = Object.freeze({
  global: freezeCloud({
    id: 'global',
    label: 'Microsoft 365 (worldwide)',
    authorityHost: 'https://login.microsoftonline.com',
    delegatedResource: 'https://outlook.office.com',
    appOnlyResource: 'https://outlook.office365.com',
    graphResource: 'https://graph.microsoft.com',
    mailHosts: {
      smtp: { host: 'smtp.office365.com', port: 587, security: 'starttls' },
      imap: { host: 'outlook.office365.com', port: 993, security: 'tls' },
      pop3: { host: 'outlook.office365.com', port: 995, security: 'tls' },
    },
  }),
  usGovernment: freezeCloud({
    id: 'usGovernment',
    label: 'Microsoft 365 US Government (GCC High / DoD)',
    authorityHost: 'https://login.microsoftonline.us',
    delegatedResource: 'https://outlook.office365.us',
    appOnlyResource: 'https://outlook.office365.us',
    graphResource: 'https://graph.microsoft.us',
    mailHosts: {
      smtp: { host: 'smtp.office365.us', port: 587, security: 'starttls' },
      imap: { host: 'outlook.office365.us', port: 993, security: 'tls' },
      pop3: { host: 'outlook.office365.us', port: 995, security: 'tls' },
    },
  }),
  china: freezeCloud({
    id: 'china',
    label: 'Microsoft 365 operated by 21Vianet (China)',
    authorityHost: 'https://login.chinacloudapi.cn',
    delegatedResource: 'https://partner.outlook.cn',
    appOnlyResource: 'https://partner.outlook.cn',
    graphResource: 'https://microsoftgraph.chinacloudapi.cn',
    mailHosts: {
      smtp: { host: 'smtp.partner.outlook.cn', port: 587, security: 'starttls' },
      imap: { host: 'partner.outlook.cn', port: 993, security: 'tls' },
      pop3: { host: 'partner.outlook.cn', port: 995, security: 'tls' },
    },
  }),
});

export const MICROSOFT_CLOUD_IDS = Object.freeze(Object.keys(MICROSOFT_CLOUDS) as MicrosoftCloudId[]);

export interface MicrosoftProtocolPermission {
  /** Delegated permission name under the Exchange Online resource (`SMTP.Send`). */
  readonly delegated: string;
  /** Application permission (app role) an admin grants for app-only access. */
  readonly appRole: string;
}

/** Office 365 Exchange Online permissions per mail protocol. */
export const MICROSOFT_PROTOCOL_PERMISSIONS: Readonly<
  Record<'smtp' | 'imap' | 'pop3', MicrosoftProtocolPermission>
> = Object.freeze({
  smtp: Object.freeze({ delegated: 'SMTP.Send', appRole: 'SMTP.SendAsApp' }),
  imap: Object.freeze({ delegated: 'IMAP.AccessAsUser.All', appRole: 'IMAP.AccessAsApp' }),
  pop3: Object.freeze({ delegated: 'POP.AccessAsUser.All', appRole: 'POP.AccessAsApp' }),
});

export const MICROSOFT_MAIL_PROTOCOLS = Object.freeze(['smtp', 'imap', 'pop3'] as const);
export type MicrosoftMailProtocol = (typeof MICROSOFT_MAIL_PROTOCOLS)[number];

/** Tenant id of personal Microsoft accounts (outlook.com, hotmail.com). */
export const PERSONAL_ACCOUNT_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

export function isMicrosoftMailProtocol(protocol: ProtocolId): protocol is MicrosoftMailProtocol {
  return (MICROSOFT_MAIL_PROTOCOLS as readonly string[]).includes(protocol);
}

export function getMicrosoftCloud(id: string | undefined): MicrosoftCloud {
  const cloud = MICROSOFT_CLOUDS[(id ?? 'global') as MicrosoftCloudId];
  if (!cloud)
    throw new RangeError(`Unknown Microsoft cloud "${id}"; known: ${MICROSOFT_CLOUD_IDS.join(', ')}.`);
  return cloud;
}

/**
 * The delegated scope a protocol needs, e.g. `https://outlook.office.com/SMTP.Send`.
 *
 * @example
 * delegatedScope('smtp') // 'https://outlook.office.com/SMTP.Send'
 */
export function delegatedScope(protocol: MicrosoftMailProtocol, cloud: MicrosoftCloudId = 'global'): string {
  return `${MICROSOFT_CLOUDS[cloud].delegatedResource}/${MICROSOFT_PROTOCOL_PERMISSIONS[protocol].delegated}`;
}

/**
 * Scopes to request for a delegated sign-in: one per protocol the account uses plus
 * `offline_access` (msal adds `openid` and `profile`). Outlook and Graph scopes are never mixed
 * (AADSTS70011).
 *
 * @example
 * delegatedScopesToRequest(['smtp', 'imap'])
 * // ['https://outlook.office.com/SMTP.Send', 'https://outlook.office.com/IMAP.AccessAsUser.All', 'offline_access']
 */
export function delegatedScopesToRequest(
  protocols: readonly ProtocolId[],
  cloud: MicrosoftCloudId = 'global',
): string[] {
  const unique = [...new Set(protocols)].filter(isMicrosoftMailProtocol);
  if (unique.length === 0) unique.push('smtp');
  return [...unique.map((p) => delegatedScope(p, cloud)), 'offline_access'];
}

/** The `.default` scope of the Exchange Online resource for app-only tokens. */
export function appOnlyDefaultScope(cloud: MicrosoftCloudId = 'global'): string {
  return `${MICROSOFT_CLOUDS[cloud].appOnlyResource}/.default`;
}

/**
 * The `.default` scope of the Microsoft Graph resource for app-only tokens: the app's Graph
 * application permissions (`Mail.Send`), requested apart from the Exchange Online one.
 *
 * @example
 * appOnlyGraphScope('usGovernment') // 'https://graph.microsoft.us/.default'
 */
export function appOnlyGraphScope(cloud: MicrosoftCloudId = 'global'): string {
  return `${MICROSOFT_CLOUDS[cloud].graphResource}/.default`;
}

/**
 * The delegated Graph scope that sends mail as the signed-in user, e.g.
 * `https://graph.microsoft.com/Mail.Send`. Requested apart from Outlook scopes.
 */
export function delegatedGraphScope(cloud: MicrosoftCloudId = 'global'): string {
  return `${MICROSOFT_CLOUDS[cloud].graphResource}/Mail.Send`;
}

/** Whether a granted scope list covers a protocol (compares the permission name, not the resource). */
export function scopesCoverProtocol(scopes: readonly string[], protocol: MicrosoftMailProtocol): boolean {
  const wanted = MICROSOFT_PROTOCOL_PERMISSIONS[protocol].delegated.toLowerCase();
  return scopes.some((s) => {
    const name = s.toLowerCase().split('/').pop();
    return name === wanted;
  });
}
