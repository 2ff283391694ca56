import { randomUUID } from 'node:crypto';
import {
  type AddressInput,
  type ConnectOptions,
  type CredentialSource,
  MailplugError,
  type OAuth2Credential,
  type SendConnection,
  type ServerSettings,
} from '@mailplug/core';
import {
  cancelledBeforeSending,
  createHttpTransport,
  type HttpProxyOptions,
  type HttpResponse,
  type HttpSendApi,
  type HttpTransport,
  noRecipients,
  oauthCredential,
  openHttpSendConnection,
  postRefreshingOnce,
} from '@mailplug/http-send';
import { composeMessage } from '@mailplug/mime';
import { GRAPH_CLOUDS, type GraphCloud, graphCloudForHost } from './graph-clouds.js';
import { classifyGraphResponse, GraphErrorCode, type GraphRequestContext } from './graph-errors.js';
import type { MailboxSlots } from './mailbox-slots.js';
import { isGraphAudience, tokenFacts } from './token-facts.js';

/**
 * Graph's limit for one request body (4 MB), which the base64 MIME of sendMail must fit: about
 * 3 MB of message. Source: Microsoft Graph "Send mail" and "Attach large files to Outlook
 * messages" (attachments over 3 MB need an upload session on a draft).
 */
export const GRAPH_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** How Graph's errors are worded and coded where every HTTP send API meets the same failure. */
export const GRAPH_API: HttpSendApi = Object.freeze({
  protocol: 'graph',
  name: 'Microsoft Graph',
  shortName: 'Graph',
  receiver: 'Graph',
  sentFolder: 'Sent Items',
  networkPath: 'Graph',
  proxyTarget: 'the Graph host',
  expectedServer: 'graph.microsoft.com, 443 for the worldwide cloud',
  passwordHint:
    'Choose a Microsoft 365 sign-in (delegated or app-only) for this account, or send over SMTP instead.',
  codes: Object.freeze({
    timeout: GraphErrorCode.Timeout,
    tlsFailed: GraphErrorCode.TlsFailed,
    proxyFailed: GraphErrorCode.ProxyFailed,
    connectionFailed: GraphErrorCode.ConnectionFailed,
    connectionClosed: GraphErrorCode.ConnectionClosed,
    credentialUnsupported: GraphErrorCode.CredentialUnsupported,
    recipientsRejected: GraphErrorCode.RecipientsRejected,
    failed: GraphErrorCode.Failed,
  }),
});

/** Settings shared by every connection of one protocol instance. */
export interface GraphConnectionSettings extends HttpProxyOptions {
  /**
   * Path under which Graph's `/v1.0` lives on the server. Default `''` (Graph itself); a gateway
   * or the emulator may serve it under a prefix such as `/graph`.
   */
  readonly basePath?: string;
}

/** What a connection needs from its protocol instance. */
export interface GraphConnectionContext {
  readonly settings: GraphConnectionSettings;
  readonly slots: MailboxSlots;
}

const addressOf = (input: AddressInput | undefined): string | undefined =>
  input === undefined
    ? undefined
    : typeof input === 'string'
      ? input.replace(/^.*<([^>]+)>.*$/, '$1').trim()
      : input.address;

/** The request context for errors about `credential` sending as `mailbox`. */
export function requestContext(
  credential: OAuth2Credential,
  cloud: GraphCloud,
  extra: Partial<GraphRequestContext> = {},
): GraphRequestContext {
  return { mailbox: credential.user, cloud, token: tokenFacts(credential), ...extra };
}

/** One Graph endpoint for one server: URL building and the cloud its tokens must be for. */
export interface GraphEndpoint {
  readonly transport: HttpTransport;
  readonly cloud: GraphCloud;
  sendMailUrl(mailbox: string): string;
  /** POSTs `body` as base64 MIME under the deadline; network failures come back classified. */
  postSendMail(
    credential: OAuth2Credential,
    body: string,
    cancelled: AbortSignal | undefined,
  ): Promise<HttpResponse>;
}

export function createGraphEndpoint(
  server: ServerSettings,
  settings: GraphConnectionSettings,
): GraphEndpoint {
  const transport = createHttpTransport(server, GRAPH_API, settings);
  const cloud = graphCloudForHost(server.host) ?? GRAPH_CLOUDS.global;
  const basePath = (settings.basePath ?? '').replace(/\/+$/, '');
  const sendMailUrl = (mailbox: string) =>
    `${transport.origin}${basePath}/v1.0/users/${encodeURIComponent(mailbox)}/sendMail`;
  return {
    transport,
    cloud,
    sendMailUrl,
    postSendMail: (credential, body, cancelled) =>
      transport.request(sendMailUrl(credential.user), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${credential.accessToken}`,
          'content-type': 'text/plain',
          'client-request-id': randomUUID(),
        },
        body,
        signal: cancelled,
      }),
  };
}

function tooLarge(bytes: number): MailplugError {
  return new MailplugError({
    code: GraphErrorCode.MessageTooLarge,
    action: 'developer',
    message: `The message is ${(bytes / 1024 / 1024).toFixed(1)} MB as Graph's base64 request body, over Graph's 4 MB request limit.`,
    hint: 'Keep messages sent through Microsoft Graph under about 3 MB including attachments (4 MB once base64-encoded), send large files as links, or send this account over SMTP.',
    details: { requestBytes: bytes, limitBytes: GRAPH_MAX_REQUEST_BYTES, mayHaveBeenDelivered: false },
  });
}

/**
 * Opens a Graph send connection: one keep-alive HTTP client for the server, a credential from the
 * source for every send (the source caches it), at most N requests per mailbox in flight.
 */
export async function connectGraph(
  server: ServerSettings,
  credentials: CredentialSource,
  options: ConnectOptions,
  context: GraphConnectionContext,
): Promise<SendConnection> {
  const endpoint = createGraphEndpoint(server, context.settings);
  // A token Graph refused (expired, revoked) is replaced once; a token for the wrong resource is not.
  const forGraph = (credential: OAuth2Credential) => {
    const audience = tokenFacts(credential).audience;
    return audience === undefined || isGraphAudience(audience, endpoint.cloud);
  };
  return openHttpSendConnection({
    api: GRAPH_API,
    transport: endpoint.transport,
    credentials,
    options,
    async send(message, cancelled) {
      let release: (() => void) | undefined;
      try {
        const credential = await oauthCredential(credentials, GRAPH_API, cancelled);
        // The message is built once a slot is free, so that many sends started at once build and
        // post in a pipeline instead of all building first.
        const slotKey = `${endpoint.transport.origin} ${credential.user}`;
        release = await context.slots.acquire(slotKey, cancelled, () =>
          cancelledBeforeSending(cancelled?.reason, GRAPH_API),
        );
        const composed = await composeMessage(message, credential.user);
        if (composed.recipients.length === 0) throw noRecipients(message, GRAPH_API);
        const body = composed.raw.toString('base64');
        if (body.length > GRAPH_MAX_REQUEST_BYTES) throw tooLarge(body.length);
        const answer = await postRefreshingOnce(
          credential,
          (current) => endpoint.postSendMail(current, body, cancelled),
          () => oauthCredential(credentials, GRAPH_API, cancelled, true),
          forGraph,
        );
        const { response } = answer;
        if (response.status >= 200 && response.status < 300) {
          const requestId = response.headers.get('request-id');
          return {
            messageId: composed.messageId,
            accepted: [...composed.recipients],
            rejected: [],
            response: `${response.status} Accepted${requestId ? ` (request-id ${requestId})` : ''}`,
          };
        }
        const from = addressOf(message.from);
        throw classifyGraphResponse(
          response,
          requestContext(answer.credential, endpoint.cloud, {
            ...(from && from.toLowerCase() !== answer.credential.user.toLowerCase() ? { from } : {}),
            recipients: composed.recipients,
          }),
        );
      } finally {
        release?.();
      }
    },
  });
}
