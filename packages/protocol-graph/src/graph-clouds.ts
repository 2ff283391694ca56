/**
 * Microsoft Graph per national cloud, as data (Thunderbird's provider table): adding a cloud is a
 * change here, not in the send code. Source: Microsoft Graph "National cloud deployments"
 * (learn.microsoft.com/graph/deployments) — the root endpoint of each cloud.
 */

export type GraphCloudId = 'global' | 'usGovernment' | 'usGovernmentDoD' | 'china';

export interface GraphCloud {
  readonly id: GraphCloudId;
  readonly label: string;
  /** The Graph host a send goes to; the account's server host selects the cloud. */
  readonly host: string;
  /** The resource a token must be issued for (its `aud`), and the prefix of its scopes. */
  readonly resource: string;
}

export const GRAPH_CLOUDS: Readonly<Record<GraphCloudId, GraphCloud>> = Object.freeze({
  global: Object.freeze({
    id: 'global',
    label: 'Microsoft Graph (worldwide)',
    host: 'graph.microsoft.com',
    resource: 'https://graph.microsoft.com',
  }),
  usGovernment: Object.freeze({
    id: 'usGovernment',
    label: 'Microsoft Graph for US Government L4 (GCC High)',
    host: 'graph.microsoft.us',
    resource: 'https://graph.microsoft.us',
  }),
  usGovernmentDoD: Object.freeze({
    id: 'usGovernmentDoD',
    label: 'Microsoft Graph for US Government L5 (DoD)',
    host: 'dod-graph.microsoft.us',
    resource: 'https://dod-graph.microsoft.us',
  }),
  china: Object.freeze({
    id: 'china',
    label: 'Microsoft Graph operated by 21Vianet (China)',
    host: 'microsoftgraph.chinacloudapi.cn',
    resource: 'https://microsoftgraph.chinacloudapi.cn',
  }),
} as const);

/**
 * The cloud whose Graph host `host` is, or `undefined` for any other host (a private gateway, or
 * the emulator on loopback) — such hosts are sent to as they are and treated like the worldwide
 * cloud for token audiences and scope names.
 *
 * @example
 * graphCloudForHost('graph.microsoft.us')?.id; // 'usGovernment'
 */
export function graphCloudForHost(host: string): GraphCloud | undefined {
  const wanted = host.trim().toLowerCase().replace(/\.$/, '');
  return Object.values(GRAPH_CLOUDS).find((cloud) => cloud.host === wanted);
}

/** The scopes a Graph token must be requested with, per kind of sign-in. */
export function graphScopes(cloud: GraphCloud = GRAPH_CLOUDS.global) {
  return Object.freeze({
    /** Delegated: send as the signed-in user. */
    delegated: `${cloud.resource}/Mail.Send`,
    /** Delegated: send from a shared mailbox or as another user the signed-in user may act for. */
    delegatedShared: `${cloud.resource}/Mail.Send.Shared`,
    /** App-only: the app's Graph application permissions (`Mail.Send` among them). */
    appOnly: `${cloud.resource}/.default`,
  });
}
