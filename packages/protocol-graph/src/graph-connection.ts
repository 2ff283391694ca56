import { randomUUID } from 'node:crypto';
import {
  type AddressInput,
  type ConnectOptions,
  CoreErrorCode,
  type CredentialSource,
  type MailCredential,
  MailplugError,
  type OAuth2Credential,
  type OutgoingMessage,
  type SendConnection,
  type SendOptions,
  type SendResult,
  type ServerSettings,
} from '@mailplug/core';
import { GRAPH_CLOUDS, type GraphCloud, graphCloudForHost } from './graph-clouds.js';
import { classifyGraphResponse, GraphErrorCode, type GraphRequestContext } from './graph-errors.js';
import {
  createHttpTransport,
  type HttpProxyOptions,
  type HttpResponse,
  type HttpTransport,
} from './http-transport.js';
import type { MailboxSlots } from './mailbox-slots.js';
import { composeMessage } from './mime.js';
import { classifyRequestFailure } from './network-errors.js';
import { isGraphAudience, tokenFacts } from './token-facts.js';

/**
 * Graph's limit for one request body (4 MB), which the base64 MIME of sendMail must fit: about
 * 3 MB of message. Source: Microsoft Graph "Send mail" and "Attach large files to Outlook
 * messages" (attachments over 3 MB need an upload session on a draft).
 */
export const GRAPH_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** Deadline of one request when the server settings carry no timeout. */
export const DEFAULT_GRAPH_TIMEOUT_MS = 60_000;

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

export function credentialUnsupported(): MailplugError {
  return new MailplugError({
    code: GraphErrorCode.CredentialUnsupported,
    action: 'admin',
    message: 'Microsoft Graph needs an OAuth 2.0 access token; the account signs in with a password.',
    hint: 'Choose a Microsoft 365 sign-in (delegated or app-only) for this account, or send over SMTP instead.',
  });
}

export async function graphCredential(
  credentials: CredentialSource,
  signal: AbortSignal | undefined,
  forceRefresh = false,
): Promise<OAuth2Credential> {
  const credential: MailCredential = await credentials.getCredential({
    protocol: 'graph',
    ...(forceRefresh ? { forceRefresh: true } : {}),
    ...(signal ? { signal } : {}),
  });
  if (credential.kind !== 'oauth2') throw credentialUnsupported();
  return credential;
}

/** The request context for errors about `credential` sending as `mailbox`. */
export function requestContext(
  credential: OAuth2Credential,
  cloud: GraphCloud,
  extra: Partial<GraphRequestContext> = {},
): GraphRequestContext {
  return { mailbox: credential.user, cloud, token: tokenFacts(credential), ...extra };
}

/** One Graph endpoint for one server: URL building, the deadline and error classification. */
export interface GraphEndpoint {
  readonly transport: HttpTransport;
  readonly cloud: GraphCloud;
  readonly timeoutMs: number;
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
  const transport = createHttpTransport(server, settings);
  const cloud = graphCloudForHost(server.host) ?? GRAPH_CLOUDS.global;
  const timeoutMs =
    typeof server.timeoutMs === 'number' && Number.isFinite(server.timeoutMs) && server.timeoutMs > 0
      ? server.timeoutMs
      : DEFAULT_GRAPH_TIMEOUT_MS;
  const basePath = (settings.basePath ?? '').replace(/\/+$/, '');
  const sendMailUrl = (mailbox: string) =>
    `${transport.origin}${basePath}/v1.0/users/${encodeURIComponent(mailbox)}/sendMail`;
  return {
    transport,
    cloud,
    timeoutMs,
    sendMailUrl,
    async postSendMail(credential, body, cancelled) {
      const url = sendMailUrl(credential.user);
      const deadline = AbortSignal.timeout(timeoutMs);
      const signal = cancelled ? AbortSignal.any([cancelled, deadline]) : deadline;
      try {
        return await transport.request(url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${credential.accessToken}`,
            'content-type': 'text/plain',
            'client-request-id': randomUUID(),
          },
          body,
          signal,
        });
      } catch (error) {
        throw classifyRequestFailure(error, {
          url,
          deadlineMs: timeoutMs,
          cancelled,
          deadline,
          requestStarted: true,
        });
      }
    },
  };
}

function closedError(): MailplugError {
  return new MailplugError({
    code: GraphErrorCode.ConnectionClosed,
    action: 'developer',
    message: 'send() was called on a closed Graph connection.',
    hint: 'Open a new connection with protocol.connect() before sending.',
  });
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

/** Every To/Cc/Bcc entry as the caller gave it (for a refusal that names them). */
function givenRecipients(message: OutgoingMessage): string[] {
  const list = (v: OutgoingMessage['to'] | undefined) =>
    v === undefined ? [] : Array.isArray(v) ? v : [v as AddressInput];
  return [...list(message.to), ...list(message.cc), ...list(message.bcc)].map((a) =>
    typeof a === 'string' ? a : a.address,
  );
}

function noRecipients(message: OutgoingMessage): MailplugError {
  const given = givenRecipients(message);
  return new MailplugError({
    code: GraphErrorCode.RecipientsRejected,
    action: 'user',
    message: `The message has no usable recipient address${given.length > 0 ? ` (${given.join(', ')})` : ''}.`,
    hint: 'Enter at least one full recipient address such as name@example.com in To, Cc or Bcc.',
    details: {
      rejected: given.map((address) => ({ address, message: 'Not an email address' })),
      mayHaveBeenDelivered: false,
    },
  });
}

function cancelledBeforeSending(reason: unknown): MailplugError {
  return new MailplugError({
    code: CoreErrorCode.SendCancelled,
    action: 'retry',
    message: 'The Graph send was cancelled by the caller before the request was made.',
    hint: 'Send the message again when the host is ready.',
    cause: reason,
    details: { mayHaveBeenDelivered: false },
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
  // One silent call checks the credential kind up front; the source caches, so this costs no extra token.
  try {
    await graphCredential(credentials, options.signal);
  } catch (error) {
    await endpoint.transport.destroy();
    throw error;
  }
  let closed = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  const send = async (message: OutgoingMessage, sendOptions: SendOptions = {}): Promise<SendResult> => {
    if (closed) throw closedError();
    const signals = [options.signal, sendOptions.signal].filter((s): s is AbortSignal => s !== undefined);
    const cancelled = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    if (cancelled?.aborted) throw cancelledBeforeSending(cancelled.reason);
    inFlight++;
    let release: (() => void) | undefined;
    try {
      let credential = await graphCredential(credentials, cancelled);
      // The message is built once a slot is free, so that many sends started at once build and
      // post in a pipeline instead of all building first.
      const slotKey = `${endpoint.transport.origin} ${credential.user}`;
      release = await context.slots.acquire(slotKey, cancelled, () =>
        cancelledBeforeSending(cancelled?.reason),
      );
      const composed = await composeMessage(message, credential.user);
      if (composed.recipients.length === 0) throw noRecipients(message);
      const body = composed.raw.toString('base64');
      if (body.length > GRAPH_MAX_REQUEST_BYTES) throw tooLarge(body.length);
      const from = addressOf(message.from);
      for (let attempt = 1; ; attempt++) {
        const response = await endpoint.postSendMail(credential, body, cancelled);
        if (response.status >= 200 && response.status < 300) {
          const requestId = response.headers.get('request-id');
          return {
            messageId: composed.messageId,
            accepted: [...composed.recipients],
            rejected: [],
            response: `${response.status} Accepted${requestId ? ` (request-id ${requestId})` : ''}`,
          };
        }
        const failure = classifyGraphResponse(
          response,
          requestContext(credential, endpoint.cloud, {
            ...(from && from.toLowerCase() !== credential.user.toLowerCase() ? { from } : {}),
            recipients: composed.recipients,
          }),
        );
        // A token Graph refused (expired, revoked) is replaced once; a token for the wrong resource is not.
        const audience = tokenFacts(credential).audience;
        const wrongResource = audience !== undefined && !isGraphAudience(audience, endpoint.cloud);
        if (response.status === 401 && attempt === 1 && !wrongResource) {
          credential = await graphCredential(credentials, cancelled, true);
          continue;
        }
        throw failure;
      }
    } finally {
      release?.();
      inFlight--;
      if (closed && inFlight === 0) drained?.();
    }
  };

  return {
    direction: 'send',
    send,
    async close() {
      if (closed) return;
      closed = true;
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      await endpoint.transport.close();
    },
    dispose() {
      closed = true;
      void endpoint.transport.destroy();
    },
  };
}
